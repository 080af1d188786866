"""Who to call (SPEC §4.11) and the contacts' own badges, for the Queues page, the account page and their
JSON: the store's one read path of each (`Reading.call_lists`, `Reading.contact_badges`), with every
person's CRM page (SPEC §5 `links`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import sqlglot
from sqlglot import exp

from whynow.links import crm_url, link_columns
from whynow.model.check import CompiledModel
from whynow.serve import schemas as s
from whynow.statements import column_ref, param, table_ref
from whynow.store import Reading, Row

IN_LIST = 200  # ids per query of `rows_of` (thousands in one IN list are slow in DuckDB)
CARRIED = frozenset({"contact_id", "account_id"})  # what a call list row and a contact badge row hold


def call_lists(
    r: Reading, model: CompiledModel, as_of: dt.date, account_ids: Sequence[str]
) -> dict[str, list[s.CallEntry]]:
    """{account_id: its call list in rank order} of these accounts, in one read of `call_list`; an account
    without one is absent."""
    found = r.call_lists(as_of, account_ids)
    links = contact_links(r, model, as_of, [person for people in found.values() for person in people])
    return {
        account_id: [
            s.CallEntry(**{k: person[k] for k in s.CALL_COLUMNS}, crm_url=links.get(str(person["contact_id"])))
            for person in people
        ]
        for account_id, people in found.items()
    }


def contact_badges(r: Reading, model: CompiledModel, as_of: dt.date, account_id: str) -> list[s.ContactBadge]:
    """The account's contacts with a badge of their own, labelled as the model defines their badge."""
    labels = {d.id: d.label for d in model.spec.badges.definitions}
    rows = [{**row, "account_id": account_id} for row in r.contact_badges(as_of, account_id)]
    links = contact_links(r, model, as_of, rows)
    return [
        s.ContactBadge(
            **{k: row[k] for k in s.ContactBadge.model_fields if k in row},
            badge_label=labels.get(str(row["badge"])),
            crm_url=links.get(str(row["contact_id"])),
        )
        for row in rows
    ]


def contact_links(
    r: Reading, model: CompiledModel, as_of: dt.date, people: Sequence[Mapping[str, object]]
) -> dict[str, str | None]:
    """{contact_id: their CRM page} of these people, from their rows; a template that names a declared
    contacts column reads it from `contact_status` (one query per IN_LIST people)."""
    columns = link_columns(model, "contact")
    if not columns or not people:
        return {}
    if CARRIED.issuperset(columns):
        return {str(p["contact_id"]): crm_url(model, "contact", p) for p in people}
    ids = sorted({str(p["contact_id"]) for p in people})
    selected = [column_ref(column) for column in dict.fromkeys(["contact_id", *columns])]
    sql = sqlglot.select(*selected).from_(table_ref("contact_status")).where(column_ref("as_of").eq(param()))
    return {
        str(row["contact_id"]): crm_url(model, "contact", row) for row in rows_of(r, sql, [as_of], "contact_id", ids)
    }


def rows_of(r: Reading, sql: exp.Select, params: Sequence[object], column: str, ids: Sequence[str]) -> list[Row]:
    """The rows of `sql` (its parameters `params`) whose `column` is one of `ids`, in order of the ids' chunks:
    one query per IN_LIST ids, a short IN list each, which DuckDB filters its scan with."""
    found: list[Row] = []
    for start in range(0, len(ids), IN_LIST):
        chunk = ids[start : start + IN_LIST]
        found += r.query(sql.where(column_ref(column).isin(*(param() for _ in chunk))), [*params, *chunk])
    return found
