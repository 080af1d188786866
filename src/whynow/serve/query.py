"""The one query layer of the dashboard and the JSON API (SPEC §8): every page and every `/api` answer is
built here, read from the store's outputs (never recomputed), as the pydantic objects of `schemas.py`.

Each request reads through the store's read side over a read-only connection of its own, closed at its end
(`reading`), so no lock is held between requests and `whynow run` can write while the dashboard is up.

User input only ever reaches a query as a parameter, and a sort column only from a closed list. A statement
whose shape depends on the request (its filters, its columns, a sort) is built with sqlglot, every name a
quoted identifier and every value a parameter (`param()`), and rendered in the store's engine's dialect by
the read side (`Reading.query`); the others are fixed text with `?` parameters, written once in DuckDB's
dialect, which the read side translates for a PostgreSQL store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import functools
import json
import math
from collections.abc import Iterable, Iterator, Sequence

import pyarrow as pa
import sqlglot
from sqlglot import exp

from whynow.errors import DataError, WhynowError
from whynow.explain import mqa_criterion, stage_steps, why_it_won
from whynow.links import crm_url
from whynow.model.check import CompiledModel
from whynow.model.describe import describe_model
from whynow.model.load import load_model_text, mask_secrets
from whynow.serve import calls as who_to_call
from whynow.serve import schemas as s
from whynow.serve.feedback import history
from whynow.statements import column_ref, param, table_ref
from whynow.store import Database, Reading, Row, Store

WAIT_S = 5.0  # how long a request waits for a store a run is writing before it answers "busy"


class NotFound(WhynowError):
    """What a request asks for is not in the store (HTTP 404)."""


class Busy(WhynowError):
    """The store is held by a writer longer than WAIT_S (HTTP 503)."""


@functools.lru_cache(maxsize=8)
def _compiled(text: str, name: str) -> CompiledModel:
    """A stored model, loaded for showing: its alert secrets are neither read nor needed (SPEC §8)."""
    return load_model_text(text, f"the model {name} in the store", display=True)


class Reader(Reading):
    """The store's read side for one request, and what every page asks of it first: the run, its model."""

    def __init__(self, store: Store, db: Database) -> None:
        super().__init__(store.name, db)
        self.store = store

    def runs(self) -> list[Row]:
        if not self.has("runs"):
            return []
        return self.query("SELECT * FROM runs ORDER BY as_of")

    def as_of(self, wanted: dt.date | None = None) -> dt.date:
        """The as-of date of the run asked for, else of the last run."""
        dates = [r["as_of"] for r in self.query("SELECT as_of FROM runs ORDER BY as_of")] if self.has("runs") else []
        if not dates:
            raise NotFound(f"{self.store.name}: the store has no runs yet; run `whynow run` first")
        if wanted is None:
            return dates[-1]  # type: ignore[return-value]
        if wanted not in dates:
            shown = ", ".join(str(d) for d in dates[-5:])
            raise NotFound(f"no run as of {wanted} in {self.store.name}; the last runs are as of {shown}")
        return wanted

    def model(self, as_of: dt.date) -> tuple[str, str, CompiledModel]:
        """(name, hash, compiled model) of the run at `as_of`."""
        found = self.query(
            "SELECT r.model, r.model_hash, m.text FROM runs r JOIN models m ON m.hash = r.model_hash WHERE r.as_of = ?",
            [as_of],
        )
        name, digest, text = (str(found[0][k]) for k in ("model", "model_hash", "text"))
        return name, digest, _compiled(text, name)


@contextlib.contextmanager
def reading(store: Store) -> Iterator[Reader]:
    """A read-only connection for one request, closed at its end."""
    if not store.exists():
        raise NotFound(f"{store.name}: no store here yet; run `whynow run` first")
    try:
        db = store.connect(read_only=True, wait_s=WAIT_S)
    except DataError as e:
        raise Busy(str(e)) from None
    try:
        yield Reader(store, db)
    finally:
        db.close()


def page_count(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


# --- the statements' shapes: built with sqlglot, each name quoted, each value a parameter ------------------


def select_from(table: str, columns: Iterable[str]) -> exp.Select:
    """SELECT the columns FROM the table, each a quoted name."""
    return sqlglot.select(*(column_ref(column) for column in columns)).from_(table_ref(table))


def equals(column: str) -> exp.Expr:
    """column = ?"""
    return column_ref(column).eq(param())


def not_null(value: exp.Expr) -> exp.Expr:
    """value IS NOT NULL"""
    return value.is_(exp.null()).not_()


def nulls_last(value: exp.Expr, desc: bool = False) -> exp.Ordered:
    """`value` in an ORDER BY, its NULLs last either way, as DuckDB orders them: PostgreSQL puts them first
    in a descending order, so its rendering says NULLS LAST."""
    return exp.Ordered(this=value, desc=desc, nulls_first=False)


def _count(r: Reader, table: str, where: Sequence[exp.Expr], params: Sequence[object]) -> int:
    """How many rows of the table hold every condition of `where`."""
    sql = sqlglot.select(exp.Count(this=exp.Star()).as_("n")).from_(table_ref(table)).where(*where)
    return int(str(r.query(sql, params)[0]["n"]))


def _page(r: Reader, sql: exp.Select, params: Sequence[object], f: s.Paging) -> list[Row]:
    """The page of `sql`'s rows that `f` asks for, in `sql`'s order."""
    return r.query(sql.limit(param()).offset(param()), [*params, f.per_page, (f.page - 1) * f.per_page])


# --- accounts ----------------------------------------------------------------------------------------------


def _account_where(f: s.AccountFilter, as_of: dt.date) -> tuple[list[exp.Expr], list[object]]:
    """The conditions of an account filter, all to hold, and their parameters, in order."""
    where, params = [equals("as_of")], list[object]([as_of])

    def equal(column: str, value: object) -> None:
        if value is not None:
            where.append(equals(column))
            params.append(value)

    if f.badge == "none":
        where.append(column_ref("badge").is_(exp.null()))
    else:
        equal("badge", f.badge)
    equal("motion", f.motion)
    equal("stage", f.stage)
    equal("fit_grade", f.grade)
    if f.rep is not None:
        where.append(exp.or_(equals("owner_id"), equals("route_to")))
        params += [f.rep, f.rep]
    equal("mqa", f.mqa)
    equal("queue", f.queue)
    if f.q:  # the text in the id or the name, whatever its case
        name = exp.Coalesce(this=column_ref("name"), expressions=[exp.Literal.string("")])
        where.append(exp.or_(_contains(column_ref("account_id")), _contains(name)))
        params += [f.q.lower(), f.q.lower()]
    return where, params


def _contains(text: exp.Expr) -> exp.Expr:
    """strpos(lower(text), ?) > 0: the parameter, in lower case, is in the text."""
    return exp.StrPosition(this=exp.Lower(this=text), substr=param()) > 0


def _account_sql(f: s.AccountFilter, as_of: dt.date) -> tuple[exp.Select, list[object]]:
    """The SELECT of the accounts a filter matches, sorted, without paging. `f.sort` is one of the closed
    list of `s.SortColumn` (the filter's validation holds it to them), and a quoted name here."""
    where, params = _account_where(f, as_of)
    order = [nulls_last(column_ref(f.sort), desc=f.order == "desc"), nulls_last(column_ref("account_id"))]
    return select_from("account_status", s.ACCOUNT_COLUMNS).where(*where).order_by(*order), params


def accounts(r: Reader, f: s.AccountFilter) -> s.AccountPage:
    as_of = r.as_of(f.as_of)
    where, params = _account_where(f, as_of)
    total = _count(r, "account_status", where, params)
    sql, params = _account_sql(f, as_of)
    rows = _page(r, sql, params, f)
    return s.AccountPage(
        as_of=as_of,
        total=total,
        page=f.page,
        per_page=f.per_page,
        pages=page_count(total, f.per_page),
        accounts=[s.AccountRow.model_validate(row) for row in rows],
        facets=_facets(r, as_of),
    )


def account_batches(r: Reader, f: s.AccountFilter) -> pa.RecordBatchReader:
    """Every account a filter matches, sorted, all pages, in batches as they are read (the CSV download)."""
    sql, params = _account_sql(f, r.as_of(f.as_of))
    return r.batches(sql, params)


def _facets(r: Reader, as_of: dt.date) -> s.Facets:
    values: dict[str, list[str]] = {}
    for facet, column in (("badges", "badge"), ("motions", "motion"), ("stages", "stage"), ("grades", "fit_grade")):
        sql = (
            sqlglot.select(column_ref(column).as_("v"))
            .distinct()
            .from_(table_ref("account_status"))
            .where(equals("as_of"), not_null(column_ref(column)))
            .order_by(nulls_last(exp.column("v")))
        )
        rows = r.query(sql, [as_of])
        values[facet] = [str(row["v"]) for row in rows]
    reps = r.query(
        "SELECT v FROM (SELECT owner_id AS v FROM account_status WHERE as_of = ? UNION "
        "SELECT route_to FROM account_status WHERE as_of = ?) t WHERE v IS NOT NULL ORDER BY v",
        [as_of, as_of],
    )
    return s.Facets(reps=[str(row["v"]) for row in reps], **values)


# --- overview ----------------------------------------------------------------------------------------------


def overview(r: Reader, as_of: dt.date | None = None) -> s.Overview:
    as_of = r.as_of(as_of)
    name, _, model = r.model(as_of)
    pipeline = r.query(
        "SELECT badge, max(badge_label) AS badge_label, max(archetype) AS archetype, motion, count(*) AS accounts, "
        "count(*) FILTER (WHERE has_open_opportunity) AS with_open_opportunity, "
        "coalesce(sum(open_pipeline), 0) AS open_pipeline "
        "FROM account_status WHERE as_of = ? GROUP BY badge, motion ORDER BY badge IS NULL, accounts DESC, badge",
        [as_of],
    )
    found = {None if row["stage"] is None else str(row["stage"]): int(str(row["n"])) for row in r.query(
        "SELECT stage, count(*) AS n FROM account_status WHERE as_of = ? GROUP BY stage", [as_of]
    )}  # fmt: skip
    # SPEC §8: in the journey's order; then stages of an older model, if any; then the accounts in no stage.
    order = [stage.stage for stage in model.spec.journey]
    funnel = [s.StageCount(stage=stage, accounts=found.get(stage, 0)) for stage in order]
    older = sorted(stage for stage in found if stage is not None and stage not in order)
    funnel += [s.StageCount(stage=stage, accounts=found[stage]) for stage in older]
    if None in found:
        funnel.append(s.StageCount(stage=None, accounts=found[None]))
    statuses = {str(row["lead_status"]): int(str(row["n"])) for row in r.query(
        "SELECT lead_status, count(*) AS n FROM contact_status WHERE as_of = ? GROUP BY lead_status", [as_of]
    )}  # fmt: skip
    order = [*s.LEAD_STATUSES, *sorted(status for status in statuses if status not in s.LEAD_STATUSES)]
    held = r.query(
        "SELECT held_reason AS reason, count(*) AS accounts FROM account_status WHERE as_of = ? AND queue = 'held' "
        "GROUP BY held_reason ORDER BY accounts DESC, reason",
        [as_of],
    )
    return s.Overview(
        as_of=as_of,
        model=name,
        accounts=sum(int(str(row["accounts"])) for row in pipeline),
        pipeline=[s.PipelineCell.model_validate(row) for row in pipeline],
        funnel=funnel,
        lead_statuses=[s.LeadStatusCount(lead_status=status, contacts=statuses.get(status, 0)) for status in order],
        over_time=[s.RunPoint.model_validate(row) for row in _per_run(r) if row["as_of"] <= as_of],  # type: ignore[operator]
        held_reasons=[s.HeldReason.model_validate(row) for row in held],
        teams=_teams(r, as_of),
    )


def _per_run(r: Reader) -> list[Row]:
    """Per run: accounts, MQAs, badged, surfaced and held accounts."""
    return r.query(
        "SELECT as_of, count(*) AS accounts, count(*) FILTER (WHERE mqa) AS mqa, "
        "count(badge) AS badged, count(*) FILTER (WHERE queue = 'surfaced') AS surfaced, "
        "count(*) FILTER (WHERE queue = 'held') AS held FROM account_status GROUP BY as_of ORDER BY as_of"
    )


def _teams(r: Reader, as_of: dt.date) -> list[s.TeamPipeline]:
    """Per team of the account's owner: opportunities opened after the account was first surfaced or first
    became MQA (up to `as_of`), their amount, and the median days from each to the opportunity."""
    if not (r.has("opportunities") and r.has("reps")):
        return []
    rows = r.query(
        "WITH firsts AS (SELECT account_id, min(CASE WHEN queue = 'surfaced' THEN as_of END) AS surfaced_on, "
        "min(CASE WHEN mqa THEN as_of END) AS mqa_on FROM account_status WHERE as_of <= ? GROUP BY account_id), "
        "opened AS (SELECT o.account_id, o.amount, CAST(o.created_at AS DATE) AS created, f.surfaced_on, f.mqa_on "
        "FROM opportunities o JOIN firsts f ON f.account_id = o.account_id WHERE o.as_of = ? "
        "AND (CAST(o.created_at AS DATE) > f.surfaced_on OR CAST(o.created_at AS DATE) > f.mqa_on)), "
        "owners AS (SELECT a.account_id, p.team FROM account_status a LEFT JOIN reps p "
        "ON p.rep_id = a.owner_id AND p.as_of = a.as_of WHERE a.as_of = ?) "
        "SELECT coalesce(w.team, '(no team)') AS team, count(*) AS opportunities, "
        "coalesce(sum(d.amount), 0) AS amount, "
        "median(CASE WHEN d.created > d.surfaced_on THEN d.created - d.surfaced_on END) AS median_days_from_surfaced, "
        "median(CASE WHEN d.created > d.mqa_on THEN d.created - d.mqa_on END) AS median_days_from_mqa "
        "FROM opened d LEFT JOIN owners w ON w.account_id = d.account_id GROUP BY 1 ORDER BY amount DESC, team",
        [as_of, as_of, as_of],
    )
    return [s.TeamPipeline.model_validate(row) for row in rows]


# --- changes, runs, model ----------------------------------------------------------------------------------


def changes(r: Reader, f: s.ChangeFilter) -> s.ChangePage:
    """The change log, newest first."""
    if not r.has("changes"):
        return s.ChangePage(total=0, page=f.page, per_page=f.per_page, pages=1, kinds=[], changes=[])
    conditions: list[tuple[exp.Expr, object]] = [
        (column_ref("as_of") >= param(), f.since),
        (column_ref("as_of") <= param(), f.until),
        *((equals(column), getattr(f, column)) for column in ("entity_type", "change", "entity_id")),
    ]
    where = [condition for condition, value in conditions if value is not None]
    params = [value for _, value in conditions if value is not None]
    total = _count(r, "changes", where, params)
    order = [nulls_last(column_ref("as_of"), desc=True)]  # newest first
    order += [nulls_last(column_ref(column)) for column in ("entity_type", "entity_id", "change")]
    rows = _page(r, select_from("changes", s.Change.model_fields).where(*where).order_by(*order), params, f)
    kinds = [str(row["change"]) for row in r.query("SELECT DISTINCT change FROM changes ORDER BY change")]
    return s.ChangePage(
        total=total,
        page=f.page,
        per_page=f.per_page,
        pages=page_count(total, f.per_page),
        kinds=kinds,
        changes=[s.Change.model_validate(row) for row in rows],
    )


def runs(r: Reader) -> s.Runs:
    """Every run, newest first: when, which model, what it read and used, what it found."""
    per_run = {row["as_of"]: row for row in _per_run(r)} if r.has("account_status") else {}
    logged = (
        {row["as_of"]: int(str(row["n"])) for row in r.query("SELECT as_of, count(*) AS n FROM changes GROUP BY as_of")}
        if r.has("changes")
        else {}
    )
    shown = []
    for run in reversed(r.runs()):
        counts = per_run.get(run["as_of"], {})
        tables = [
            s.TableCounts(
                table=column.removesuffix("_read"),
                **{
                    k: run.get(f"{column.removesuffix('_read')}_{k}")
                    for k in s.TableCounts.model_fields
                    if k != "table"
                },
            )
            for column in run
            if column.endswith("_read")
        ]
        shown.append(
            s.Run(
                **{k: run[k] for k in ("run_id", "as_of", "model", "model_hash", "started_at", "finished_at")},
                **{k: int(str(counts.get(k, 0))) for k in ("accounts", "mqa", "badged", "surfaced", "held")},
                changes=logged.get(run["as_of"], 0),
                tables=tables,
            )
        )
    return s.Runs(runs=shown)


def model(r: Reader, q: s.ModelQuery) -> s.ModelView:
    """A model in plain language, its text, the versions that ran, and the diff from an older version."""
    versions = [
        s.ModelVersion.model_validate(row)
        for row in r.query(
            "SELECT r.model_hash AS hash, max(r.model) AS name, min(r.as_of) AS first_as_of, "
            "max(r.as_of) AS last_as_of, count(*) AS runs FROM runs r GROUP BY r.model_hash ORDER BY last_as_of"
        )
    ] if r.has("runs") else []  # fmt: skip
    if not versions:
        raise NotFound(f"{r.store.name}: the store has no runs yet; run `whynow run` first")
    new = _version(versions, q.new, "new") if q.new else versions[-1]
    before = [v for v in versions if v.last_as_of < new.last_as_of or v.first_as_of < new.first_as_of]
    old = _version(versions, q.old, "old") if q.old else (before[-1] if before else None)
    stored = {
        str(row["hash"]): str(row["text"])
        for row in r.query("SELECT hash, text FROM models WHERE hash IN (?, ?)", [new.hash, old.hash if old else ""])
    }
    texts = {digest: mask_secrets(text) for digest, text in stored.items()}  # the pages show no secret
    diff = (
        list(
            difflib.unified_diff(
                texts[old.hash].splitlines(), texts[new.hash].splitlines(),
                f"{old.name} {old.hash[:12]}", f"{new.name} {new.hash[:12]}", lineterm="",
            )
        )
        if old
        else []
    )  # fmt: skip
    return s.ModelView(
        name=new.name,
        hash=new.hash,
        rules=list(describe_model(_compiled(stored[new.hash], new.name))),
        text=texts[new.hash],
        versions=versions,
        old=old.hash if old else None,
        diff=diff,
    )


def _version(versions: Sequence[s.ModelVersion], prefix: str, which: str) -> s.ModelVersion:
    found = [v for v in versions if v.hash.startswith(prefix)]
    if len(found) != 1:
        known = ", ".join(v.hash[:12] for v in versions)
        problem = "matches no model" if not found else "matches more than one model"
        raise NotFound(f"{which}={prefix} {problem} that ran; the models: {known}")
    return found[0]


# --- one account -------------------------------------------------------------------------------------------


def account(r: Reader, account_id: str, q: s.AccountQuery) -> s.AccountDetail:
    """An account's story: the narrative and why this badge, its history, evidence, committee (the first
    contacts a page, engaged first), fit and engagement by rule and person, the MQA criterion, the
    stage, its changes, and the sales feedback given on it."""
    if account_id and q.id is not None:
        raise NotFound("an account id in the path and another in id=: give one")
    account_id = account_id or q.id or ""
    if not account_id:
        raise NotFound("no account id: an account's page is /accounts/<its id>, the list /accounts")
    as_of = r.as_of(q.as_of)
    found = r.query("SELECT * FROM account_status WHERE as_of = ? AND account_id = ?", [as_of, account_id])
    if not found:
        raise NotFound(f"no account {account_id} in the run of {as_of}")
    row = found[0]
    name, _, compiled = r.model(as_of)
    candidates = [
        str(c["badge"])
        for c in r.query(
            "SELECT badge FROM badge_candidates WHERE as_of = ? AND entity_type = 'account' AND entity_id = ? "
            "ORDER BY badge",
            [as_of, account_id],
        )
    ]
    everyone = r.query(
        "SELECT count(*) AS n, coalesce(sum(engagement), 0) AS engagement FROM contact_status "
        "WHERE as_of = ? AND account_id = ?",
        [as_of, account_id],
    )[0]
    first = (
        "SELECT * FROM contact_status WHERE as_of = ? AND account_id = ? "
        "ORDER BY engaged DESC NULLS LAST, engagement DESC NULLS LAST, contact_id LIMIT ? OFFSET ?"
    )
    contacts = r.query(first, [as_of, account_id, q.people, (q.people_page - 1) * q.people])
    breakdown = r.query(_breakdown("account").where(equals("entity_id")), [as_of, account_id])
    ids = [str(c["contact_id"]) for c in contacts]
    breakdown += who_to_call.rows_of(r, _breakdown("contact"), [as_of], "entity_id", ids)
    grouped: dict[tuple[str, str, str], list[s.RuleRow]] = {}
    for b in breakdown:
        key = (str(b["entity_type"]), str(b["entity_id"]), str(b["part"]))
        grouped.setdefault(key, []).append(s.RuleRow.model_validate(b))

    def rules(entity_type: str, entity_id: str, part: str) -> list[s.RuleRow]:
        return sorted(grouped.get((entity_type, entity_id, part), []), key=lambda b: (-abs(b.points), b.rule))

    source, text, checks = mqa_criterion(compiled, row)
    roles = list(compiled.spec.buying_committee.roles)
    return s.AccountDetail(
        as_of=as_of,
        model=name,
        account=s.AccountRow.model_validate(row),
        crm_url=crm_url(compiled, "account", row),
        call_list=who_to_call.call_lists(r, compiled, as_of, [account_id]).get(account_id, []),
        contact_badges=who_to_call.contact_badges(r, compiled, as_of, account_id),
        columns=row,
        why_it_won=why_it_won(compiled, str(row["badge"]), candidates) if row["badge"] is not None else None,
        candidates=candidates,
        history=[
            s.HistoryPoint.model_validate(h)
            for h in r.query(
                select_from("account_status", s.HistoryPoint.model_fields)
                .where(equals("account_id"), column_ref("as_of") <= param())
                .order_by(nulls_last(column_ref("as_of"), desc=True)),
                [account_id, as_of],
            )
        ],
        evidence=[
            s.Evidence.model_validate(e)
            for e in r.query(
                "SELECT badge, signal, value, source_table, source_id, occurred_at FROM evidence "
                "WHERE as_of = ? AND entity_type = 'account' AND entity_id = ? "
                "ORDER BY occurred_at DESC NULLS FIRST, signal, source_table, source_id",
                [as_of, account_id],
            )
        ]
        if r.has("evidence")
        else [],
        roles_engaged={role: int(str(row.get(f"engaged_{role}") or 0)) for role in roles},
        contacts=int(str(everyone["n"])),
        people_page=q.people_page,
        people_pages=page_count(int(str(everyone["n"])), q.people),
        contacts_engagement=float(str(everyone["engagement"])),
        committee=[
            s.Person(
                **{k: c[k] for k in s.Person.model_fields if k in c},
                fit_rules=rules("contact", str(c["contact_id"]), "fit"),
                engagement_rules=rules("contact", str(c["contact_id"]), "engagement"),
            )
            for c in contacts
        ],
        fit_rules=rules("account", account_id, "fit"),
        anonymous_rules=rules("account", account_id, "anonymous"),
        anonymous_weight=compiled.spec.engagement.anonymous_weight,
        mqa=s.Check(name=source, condition=text, holds=bool(row["mqa"]), values=checks),
        stages=[
            s.Check(name=stage, condition=condition, holds=stage == row["stage"], values=[v] if v else [])
            for stage, condition, v in stage_steps(compiled, row)
        ],
        changes=[
            s.Change.model_validate(c)
            for c in r.query(
                "SELECT as_of, entity_type, entity_id, change, old, new, reason FROM changes "
                "WHERE entity_type = 'account' AND entity_id = ? AND as_of <= ? ORDER BY as_of DESC, change",
                [account_id, as_of],
            )
        ],
        feedback=history(r, account_id, compiled.spec.feedback),
    )


def _breakdown(entity_type: str) -> exp.Select:
    """The score_breakdown rows of a run (as_of = ?) of one kind of entity, `entity_type` a constant."""
    columns = ("entity_type", "entity_id", "part", "rule", "points", "rows", "capped")
    of_kind = column_ref("entity_type").eq(exp.Literal.string(entity_type))
    return select_from("score_breakdown", columns).where(equals("as_of"), of_kind)


def backtests(r: Reader) -> s.Backtests:
    """The backtests recorded in the store (`whynow backtest --store`), newest first."""
    if not r.has("backtests"):
        return s.Backtests(backtests=[])
    rows = r.query("SELECT * FROM backtests ORDER BY recorded_at DESC, backtest_id")
    return s.Backtests(backtests=[_backtest_summary(row) for row in rows])


def backtest(r: Reader, backtest_id: str) -> s.BacktestView:
    """One recorded backtest: its figures per model and group, and per model and run, in their order."""
    found = r.query("SELECT * FROM backtests WHERE backtest_id = ?", [backtest_id]) if r.has("backtests") else []
    if not found:
        raise NotFound(f"no backtest {backtest_id} in {r.store.name}; see /backtests for the recorded ones")
    figures = r.query("SELECT * FROM backtest_figures WHERE backtest_id = ? ORDER BY position", [backtest_id])
    per_run = r.query("SELECT * FROM backtest_runs WHERE backtest_id = ? ORDER BY position", [backtest_id])
    return s.BacktestView(
        backtest=_backtest_summary(found[0]),
        figures=[s.BacktestFigure.model_validate(row) for row in figures],
        per_run=[s.BacktestRun.model_validate(row) for row in per_run],
    )


def _backtest_summary(row: Row) -> s.BacktestSummary:
    return s.BacktestSummary.model_validate(
        {**row, "window": row["window_days"], "models": json.loads(str(row["models"]))}
    )
