"""The outputs of a run (SPEC §5), table by table and column by column, with their types: the twin of
`data/contract.py`.

    OUTPUTS                     every table a run writes, its fixed columns in order, what follows them
    columns(model, name)        the whole column list of an output for a model (signals, roles, declared
                                columns, the summary's counts)
    arrow_schema(model, name)   the same as an Arrow schema: what the store and the files hold

The output queries (`outputs/queries.py`) select the columns named here; the output stages
(`finish.py`) build the rest to these schemas; the reference docs (`make docs`) are generated
from it, and a test holds every table a run writes to it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from whynow.data.contract import TABLE_NAMES, TABLES, ColumnType

if TYPE_CHECKING:
    import pyarrow as pa

    from whynow.model.check import CompiledModel

KINDS = ("read", "after_horizon", "outside_windows", "unmatched", "orphaned", "rejected", "used")  # SPEC §3


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    doc: str = ""


@dataclass(frozen=True)
class Output:
    """One output table: its fixed columns in order, what the model adds after them, and whether `--out`
    writes it as a file (the badge state and candidates are kept in the store only)."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    then: str = ""
    file: bool = True

    def names(self, start: str | None = None, stop: str | None = None) -> list[str]:
        """The fixed columns' names from `start` up to, not including, `stop`."""
        names = [c.name for c in self.columns]
        return names[names.index(start) if start else 0 : names.index(stop) if stop else len(names)]

    def types(self, start: str, stop: str | None = None) -> dict[str, ColumnType]:
        return {c.name: c.type for c in self.columns if c.name in self.names(start, stop)}


def _columns(text: str) -> tuple[Column, ...]:
    """`name:type` items, a space apart (the type defaults to text); a line's `-- doc` is its last column's."""
    found = []
    for line in text.strip().splitlines():
        spec, _, doc = line.partition("--")
        items = spec.split()
        for i, item in enumerate(items):
            name, _, kind = item.partition(":")
            found.append(Column(name, (kind or "text"), doc.strip() if i == len(items) - 1 else ""))  # type: ignore[arg-type]
    return tuple(found)


_BADGE = "badge archetype badge_label motion play why badge_since:date badge_expires_on:date"
OUTPUTS: dict[str, Output] = {
    o.name: o
    for o in (
        Output(
            "account_status",
            "One row per account: scores, qualification, journey stage, badge and queue.",
            _columns(
                f"""
                as_of:date account_id name owner_id tier:integer
                fit:number fit_grade engagement:number engaged_contacts:integer activities:integer
                anonymous_activities:integer committee_roles_engaged:integer target:boolean mqa:boolean
                sqa:boolean stage
                {_BADGE} route_to queue -- surfaced, held or NULL
                queue_rank:integer held_reason
                has_open_opportunity:boolean open_pipeline:number days_since_last_activity:integer
                days_to_renewal:integer mql_contacts:integer top_contact_id
                """
            ),
            then="every `engaged_<role>` (integer), every account-level signal, the declared accounts columns",
        ),
        Output(
            "contact_status",
            "One row per contact, orphans included.",
            _columns(
                """
                as_of:date contact_id account_id name fit:number fit_grade engagement:number lead_status
                status_since:date committee_role engaged:boolean badge archetype why badge_since:date
                badge_expires_on:date hand_raised:boolean recent_activities:integer days_since_last_activity:integer
                """
            ),
            then="every contact-level signal, the declared contacts columns",
        ),
        Output(
            "call_list",
            "Who to call per badged account, ordered by account_id and rank.",
            _columns(
                """
                as_of:date account_id rank:integer contact_id name title committee_role email
                reason -- badge or engaged
                badge badge_label why recent_activities:integer days_since_last_activity:integer
                """
            ),
        ),
        Output(
            "score_breakdown",
            "One row per entity and rule that matched: the parts every score adds up from.",
            _columns(
                """
                as_of:date entity_type entity_id
                part -- fit, engagement or anonymous
                rule points:number rows:integer capped:boolean
                """
            ),
        ),
        Output(
            "changes",
            "This run's change log entries: badge and status changes, and the model's.",
            _columns(
                """
                run_id as_of:date
                entity_type -- account, contact or model
                entity_id change old new reason
                """
            ),
        ),
        Output(
            "evidence",
            "Per active badge and signal: the value row, then up to 5 source rows, newest first.",
            _columns(
                """
                as_of:date entity_type entity_id badge signal value source_table source_id
                occurred_at:timestamp
                """
            ),
        ),
        Output(
            "badge_candidates",
            "Every badge whose condition held today, per entity (kept in the store for `explain`).",
            _columns("as_of:date entity_type entity_id badge"),
            file=False,
        ),
        Output(
            "opportunities",
            "The opportunities as read, with `open` and `won` at the as-of date.",
            _columns("as_of:date"),
            then="the opportunities columns as read, then open (boolean), won (boolean)",
        ),
        Output(
            "reps",
            "The reps as read, with the capacity that applies and how much of it is used.",
            _columns("as_of:date"),
            then="the reps columns as read, then used_capacity (integer)",
        ),
        Output(
            "badge_state",
            "Every active badge with its episode: what the next run resolves against (store only).",
            _columns("as_of:date entity_type entity_id badge badge_since:date last_held:date candidate:boolean why"),
            file=False,
        ),
        Output(
            "runs",
            "One row per run: its id, date, model, clock and the run summary's counts.",
            _columns("run_id as_of:date model model_hash started_at:timestamp finished_at:timestamp"),
            then="`<table>_<kind>` (integer) for every input table and each of " + ", ".join(KINDS),
        ),
        Output(
            "rejected",
            "With `--on-bad-rows skip`: each row left out, as read (its file has no as_of column).",
            _columns(
                """
                as_of:date table row:integer reason
                values -- the row as read, as JSON text
                """
            ),
        ),
    )
}


def columns(model: CompiledModel, name: str) -> list[Column]:
    """Every column of output `name` for `model`, in order."""
    found = list(OUTPUTS[name].columns)
    declared = model.declared_columns
    if name == "account_status":
        found += [Column(f"engaged_{role}", "integer") for role in model.spec.buying_committee.roles]
    if name in ("account_status", "contact_status"):
        level, table = ("account", "accounts") if name == "account_status" else ("contact", "contacts")
        found += [Column(s.name, s.type) for s in model.signals.values() if s.level == level]
        found += [Column(c, kind) for c, kind in declared.get(table, {}).items()]
    elif name in ("opportunities", "reps"):
        found += [Column(c.name, c.type) for c in TABLES[name].columns]
        found += [Column(c, kind) for c, kind in declared.get(name, {}).items()]
        extra = ("open", "won") if name == "opportunities" else ("used_capacity",)
        found += [Column(c, "boolean" if name == "opportunities" else "integer") for c in extra]
    elif name == "runs":
        found += [Column(f"{table}_{kind}", "integer") for table in TABLE_NAMES for kind in KINDS]
    return found


def arrow_schema(model: CompiledModel, name: str) -> pa.Schema:
    import pyarrow as pa

    return pa.schema([(c.name, arrow_types()[c.type]) for c in columns(model, name)])


@functools.cache
def arrow_types() -> dict[ColumnType, pa.DataType]:
    """The Arrow type of each contract type (made on first use: `whynow check` loads no PyArrow)."""
    import pyarrow as pa

    return {
        "text": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }
