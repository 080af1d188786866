"""The change log (SPEC §4.10) beyond badges: queue moves, stage and lead-status changes, set-based.

    surfaced        surfaced now, and not surfaced to the same rep in the previous run (old: that rep)
    held            held now, and not held in the previous run (old: the rep it was surfaced to; reason)
    stage_changed   an account's stage differs from the previous run's
    status_changed  a contact's lead status differs: mql or sql → recycled has reason `recycled`, recycled or
                    disqualified → mql or sql has reason `reengaged` (SPEC §4.5)

The previous run arrives as `previous_accounts` (account_id, stage, queue, route_to) and
`previous_contacts` (contact_id, lead_status); without them this is the first run of a history, which
logs surfaced/held for every queued account and no stage or status changes.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from whynow.outputs.previous import ibis_schema
from whynow.pipeline import Tables
from whynow.pipeline.leads import SALES_READY
from whynow.pipeline.tables import empty_table


def log_changes(tables: Tables) -> ir.Table:
    """entity_type, entity_id, change, old, new, reason for queue, stage and status changes."""
    accounts = tables["accounts"]
    before = tables.get("previous_accounts")
    before = before if before is not None else empty_table(accounts, ibis_schema("previous_accounts"))
    before = before.select(prev_id="account_id", prev_stage="stage", prev_queue="queue", prev_route="route_to")
    now = tables["account_measures"].select("account_id", "stage")
    queue = tables["account_queue"].rename(queue_id="account_id")
    now = now.left_join(queue, now.account_id == queue.queue_id).drop("queue_id")
    both = now.left_join(before, now.account_id == before.prev_id)
    was_surfaced = (both.prev_queue == "surfaced").fill_null(False)
    same_rep = was_surfaced & ((both.prev_route == both.route_to) | (both.prev_route.isnull() & both.route_to.isnull()))
    surfaced_to = ibis.ifelse(was_surfaced, both.prev_route, ibis.null("string"))
    surfaced = both.filter((both.queue == "surfaced") & ~same_rep).select(
        entity_type=ibis.literal("account"), entity_id=both.account_id, change=ibis.literal("surfaced"),
        old=surfaced_to, new=both.route_to, reason=ibis.null("string"),
    )  # fmt: skip
    held = both.filter((both.queue == "held") & ~(both.prev_queue == "held").fill_null(False)).select(
        entity_type=ibis.literal("account"), entity_id=both.account_id, change=ibis.literal("held"),
        old=surfaced_to, new=ibis.null("string"), reason=both.held_reason,
    )  # fmt: skip
    # Logged when the account had a stage in the previous run: to another stage, or to none.
    moved = both.prev_stage.notnull() & (both.stage.isnull() | (both.prev_stage != both.stage).fill_null(False))
    stage = both.filter(both.prev_id.notnull() & moved).select(
        entity_type=ibis.literal("account"), entity_id=both.account_id, change=ibis.literal("stage_changed"),
        old=both.prev_stage, new=both.stage, reason=ibis.null("string"),
    )  # fmt: skip
    return ibis.union(surfaced, held, stage, _status_changes(tables))


def _status_changes(tables: Tables) -> ir.Table:
    contacts = tables["contact_measures"].select("contact_id", "lead_status")
    before = tables.get("previous_contacts")
    before = before if before is not None else empty_table(contacts, ibis_schema("previous_contacts"))
    before = before.select(prev_id="contact_id", prev_status="lead_status")
    both = contacts.join(before, contacts.contact_id == before.prev_id)
    changed = both.filter(both.prev_status != both.lead_status)
    ready, came_back = changed.lead_status.isin(SALES_READY), changed.prev_status.isin(("recycled", "disqualified"))
    recycled = changed.prev_status.isin(SALES_READY) & (changed.lead_status == "recycled")
    reason = ibis.cases((recycled, ibis.literal("recycled")), (came_back & ready, ibis.literal("reengaged")))
    return changed.select(
        entity_type=ibis.literal("contact"), entity_id=changed.contact_id, change=ibis.literal("status_changed"),
        old=changed.prev_status, new=changed.lead_status, reason=reason.cast("string"),
    )  # fmt: skip
