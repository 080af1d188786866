"""The output stages (SPEC §4.8, §4.10, §5, §7): after the plan ran, the rows a run writes, in one list.

    narrate        each active badge's `why` into account_status, contact_status, call_list, badge_state
    log_changes    the change log: the plan's entries, the model's own change, the run's id and date
    add_evidence   each active badge's evidence; a badge in grace keeps the last run's
    summarize      the run summary, one `runs` row
    reject         with `--on-bad-rows skip`, the rows left out
    fill_outbox    one pending alert per change a channel alerts on

Each stage reads the run (`Finishing`: the plan's results, the last run's state read once, the validated
inputs) and returns the output tables it adds, as Arrow; the next stage sees them in `outputs`. Python
loops here run over badges and rules, or over the few rows Arrow cannot take in one call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from whynow.data.contract import TABLE_NAMES
from whynow.data.validate import Validated
from whynow.outputs.contract import OUTPUTS, arrow_schema
from whynow.outputs.queries import CHANGE_COLUMNS
from whynow.pipeline.context import Context
from whynow.pipeline.narrative import narrate as render_narratives
from whynow.pipeline.narrative import why_of
from whynow.plan import Executed
from whynow.store import Previous

OUTBOX = "outbox"  # the output the store adds to its outbox (SPEC §7), not a table of its own per run


@dataclass
class Finishing:
    """One run between its plan and its commit."""

    ctx: Context
    run_id: str
    started: dt.datetime
    validated: Validated
    previous: Previous
    executed: Executed  # the plan's outputs (`outputs.output_queries`), tables and tallies
    skip_bad_rows: bool = False
    outputs: dict[str, pa.Table] = field(default_factory=dict)

    @property
    def planned(self) -> Mapping[str, pa.Table]:
        return self.executed.outputs

    @cached_property
    def whys(self) -> pa.Table:
        """Each active badge's narrative: entity_type, entity_id, why."""
        planned = self.planned
        return render_narratives(
            self.ctx.model.templates,
            planned["badge_state"],
            {level: planned[f"{level}_narratives"] for level in ("account", "contact")},
            planned.get("previous_whys"),
        )

    @cached_property
    def summary(self) -> dict[str, dict[str, int]]:
        """The run summary (SPEC §3); its tallies are taken once per validated source."""
        from whynow.summary import as_tally
        from whynow.summary import summarize as count

        validated = self.validated
        if validated.tallies is None:
            validated.tallies = {n: as_tally(t) for n, t in self.executed.tallies(validated.counts).items()}
        return count(self.ctx, validated, validated.tallies)


OutputStage = Callable[[Finishing], dict[str, pa.Table]]


def narrate(run: Finishing) -> dict[str, pa.Table]:
    """The plan's outputs as they are written, each active badge's narrative in `why`."""
    planned, whys = run.planned, run.whys
    kept = ("score_breakdown", "badge_candidates", "opportunities", "reps")
    return {
        "account_status": _with_why(planned["account_status"], whys, "account"),
        "contact_status": _with_why(planned["contact_status"], whys, "contact"),
        "call_list": _with_why(planned["call_list"], whys, "contact"),
        **{name: planned[name] for name in kept if name in planned},  # a backtest's runs skip score_breakdown
        "badge_state": _state_with_why(planned["badge_state"], whys),
    }


def log_changes(run: Finishing) -> dict[str, pa.Table]:
    """This run's change log entries (SPEC §4.10), with the model's change when it changed; the first run
    of a history logs against nothing."""
    ctx = run.ctx
    old_hash = run.previous.run["model_hash"] if run.previous.run is not None else None
    schema = pa.schema([(c, pa.string()) for c in CHANGE_COLUMNS])
    entries = run.planned["changes"].cast(schema)
    if old_hash != ctx.model.hash:
        model_row = {"entity_type": "model", "entity_id": ctx.model.name, "change": "model_changed",
                     "old": old_hash, "new": ctx.model.hash, "reason": None}  # fmt: skip
        entries = pa.concat_tables([pa.Table.from_pylist([model_row], schema=schema), entries])
    entries = pa.concat_tables([_feedback_entries(run, schema), entries])  # the verdicts, then what they did
    rows = entries.num_rows
    entries = entries.add_column(0, "as_of", pa.repeat(pa.scalar(ctx.as_of, pa.date32()), rows))
    return {"changes": entries.add_column(0, "run_id", pa.repeat(pa.scalar(run.run_id, pa.string()), rows))}


def _feedback_entries(run: Finishing, schema: pa.Schema) -> pa.Table:
    """An account's `feedback` entry for each verdict given since the last run started (SPEC §4.10, §13):
    new is the verdict, old the account's verdict before it by any rep, reason the note."""
    feedback = run.previous.feedback
    if feedback is None or not feedback.num_rows:
        return schema.empty_table()
    if run.previous.run is not None:
        since = pa.scalar(run.previous.run["started_at"], feedback.schema.field("given_at").type)
        feedback = feedback.filter(pc.greater(feedback["given_at"], since))
    rows = feedback.num_rows
    columns = {
        "entity_type": pa.repeat(pa.scalar("account"), rows),
        "entity_id": feedback["account_id"],
        "change": pa.repeat(pa.scalar("feedback"), rows),
        "old": feedback["previous_verdict"],
        "new": feedback["verdict"],
        "reason": feedback["note"],
    }
    return pa.table(columns).cast(schema)


def add_evidence(run: Finishing) -> dict[str, pa.Table]:
    from whynow.evidence import gather_evidence

    state = run.planned["badge_state"]
    previous = run.previous.get("previous_evidence")
    return {"evidence": gather_evidence(run.ctx, run.executed.tables, state, previous)}


def summarize(run: Finishing) -> dict[str, pa.Table]:
    """The run's `runs` row: its id, date, model, clock and the summary's counts (SPEC §3)."""
    from whynow.outputs.contract import KINDS

    ctx = run.ctx
    row: dict[str, Any] = {
        "run_id": run.run_id,
        "as_of": ctx.as_of,
        "model": ctx.model.name,
        "model_hash": ctx.model.hash,
        "started_at": run.started,
        "finished_at": dt.datetime.now(dt.UTC),
    }
    for table in TABLE_NAMES:
        for kind in KINDS:
            row[f"{table}_{kind}"] = run.summary.get(table, {}).get(kind, 0)
    return {"runs": pa.Table.from_pylist([row])}


def reject(run: Finishing) -> dict[str, pa.Table]:
    """With `--on-bad-rows skip`: the rows validation left out, with why (SPEC §3)."""
    if not run.skip_bad_rows:
        return {}
    rows = [{"as_of": run.ctx.as_of, **r} for r in run.validated.rejected]
    return {"rejected": pa.Table.from_pylist(rows, schema=arrow_schema(run.ctx.model, "rejected"))}


def fill_outbox(run: Finishing) -> dict[str, pa.Table]:
    from whynow.alerts.outbox import outbox

    return {OUTBOX: outbox(run.ctx.model, run.outputs, first_run=run.previous.run is None)}


OUTPUT_STAGES: tuple[OutputStage, ...] = (narrate, log_changes, add_evidence, summarize, reject, fill_outbox)


def finish(run: Finishing) -> dict[str, pa.Table]:
    """Every output stage in order; the result is every table the run writes, in the order and with the
    columns and types of the output contract (`outputs/contract.py`), and its outbox."""
    for stage in OUTPUT_STAGES:
        run.outputs.update(stage(run))
    written = {name: _as_contracted(run, name) for name in OUTPUTS if name in run.outputs}
    return written | {OUTBOX: run.outputs[OUTBOX]}


def _as_contracted(run: Finishing, name: str) -> pa.Table:
    schema = arrow_schema(run.ctx.model, name)
    return run.outputs[name].select(schema.names).cast(schema)


def _with_why(table: pa.Table, whys: pa.Table, level: str) -> pa.Table:
    """`table` with each entity's narrative in `why` (NULL without an active badge)."""
    values = why_of(whys, level, table[f"{level}_id"])
    return table.set_column(table.schema.get_field_index("why"), "why", values)


def _state_with_why(state: pa.Table, whys: pa.Table) -> pa.Table:
    return state.append_column("why", why_of(whys, state["entity_type"], state["entity_id"]))
