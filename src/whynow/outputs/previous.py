"""What a run reads of the last run before its date (SPEC §4.10), named once.

    previous_badges     badge_state      the badges held or in grace, their start and narrative
    previous_queue      account_status   whether each account was surfaced
    previous_accounts   account_status   stage, queue and rep, for the change log
    previous_contacts   contact_status   lead status, for the change log and the way back (SPEC §4.5)
    previous_evidence   evidence         what a badge in grace keeps showing

The store reads them in one connection (`Store.previous`, with `reads()`), the first four become inputs of
the plan (`STATE`, typed by `schema()`: an empty table stands in on a history's first run), and
`whynow compile` names them as the plan's inputs. Their columns' types are the output contract's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from whynow.data.contract import ColumnType
from whynow.outputs.contract import OUTPUTS

if TYPE_CHECKING:
    import ibis.expr.datatypes as dt


@dataclass(frozen=True)
class Read:
    """Columns of one output table of the last run, as they are, and `derived` ones: (name, expression over
    the table in DuckDB's SQL, type). No columns at all: every column (`*`), for the output stages only."""

    table: str
    columns: tuple[str, ...] = ()
    derived: tuple[tuple[str, str, ColumnType], ...] = ()


PREVIOUS: dict[str, Read] = {
    "previous_badges": Read("badge_state", ("entity_type", "entity_id", "badge", "badge_since", "last_held", "why")),
    "previous_queue": Read("account_status", ("account_id",), (("was_surfaced", "queue = 'surfaced'", "boolean"),)),
    "previous_accounts": Read("account_status", ("account_id", "stage", "queue", "route_to")),
    "previous_contacts": Read("contact_status", ("contact_id", "lead_status", "status_since")),
    "previous_evidence": Read("evidence"),
}
STATE = tuple(name for name, read in PREVIOUS.items() if read.columns)  # the plan's inputs
# What a store must hold of a run for the next run to resolve against it (`Store.previous`, `last_run`): a
# backtest's runs, in a store nobody opens after, write these and nothing else.
RESOLVES = frozenset({read.table for read in PREVIOUS.values()} | {"runs"})


def schema(name: str) -> dict[str, ColumnType]:
    """The columns of one of the `STATE` inputs with their contract types."""
    read = PREVIOUS[name]
    types = {c.name: c.type for c in OUTPUTS[read.table].columns}
    return {column: types[column] for column in read.columns} | {d[0]: d[2] for d in read.derived}


def ibis_schema(name: str) -> dict[str, dt.DataType]:
    """`schema(name)` in Ibis' types."""
    from whynow.data.contract import IBIS_TYPES

    return {column: IBIS_TYPES[kind] for column, kind in schema(name).items()}


def reads() -> dict[str, tuple[str, str]]:
    """{name: (table, select list in DuckDB's SQL)}: what `Store.previous` reads."""
    return {
        name: (read.table, ", ".join([*read.columns, *(f"{sql} AS {name}" for name, sql, _ in read.derived)]) or "*")
        for name, read in PREVIOUS.items()
    }
