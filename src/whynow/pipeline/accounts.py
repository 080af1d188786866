"""Account measures, qualification and journey (SPEC §4.4, §4.6): what the buying committee adds up to.

engagement        its contacts' engagement + anonymous_weight × its anonymous engagement
engaged_contacts  activities  anonymous_activities  committee_roles_engaged  engaged_<role>
mql_contacts  days_since_last_activity  days_to_renewal  has_open_opportunity  open_pipeline
top_contact, top_contact_id, top_contact_title, top_contact_department
target → mqa (per-tier criteria) → sqa → stage
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from whynow.model.compile import compile_predicate
from whynow.pipeline.committee import OTHER
from whynow.pipeline.context import Context, rounded
from whynow.pipeline.tables import Tables, attach, person_name


def measure_accounts(ctx: Context, tables: Tables) -> Tables:
    """`account_measures`: every account with its columns, signals, fit, measures, target, mqa, sqa, stage."""
    measures = tables["accounts"]
    for table in (
        tables["account_signals"],
        tables["account_fit"],
        tables["account_activity"],
        _committee(ctx, tables["contact_measures"]),
        _top_contact(tables["contact_measures"]),
        _pipeline(tables["opportunities"]),
    ):
        measures = attach(measures, table, "account_id")
    weight = ctx.model.spec.engagement.anonymous_weight
    measures = measures.mutate(
        engagement=rounded(measures.contacts_engagement.fill_null(0.0) + weight * measures.anonymous_engagement),
        days_to_renewal=ctx.days_until(measures.renewal_date),
        has_open_opportunity=measures.has_open_opportunity.fill_null(False),
        open_pipeline=rounded(measures.open_pipeline.fill_null(0.0)),
        **{name: measures[name].fill_null(0) for name in _counts(ctx)},
    )
    return {**tables, "account_measures": _qualify(ctx, measures)}


def _counts(ctx: Context) -> list[str]:
    roles = [f"engaged_{role}" for role in ctx.model.spec.buying_committee.roles]
    return ["engaged_contacts", "activities", "committee_roles_engaged", "mql_contacts", *roles]


def _committee(ctx: Context, contacts: ir.Table) -> ir.Table:
    engaged = contacts.engaged
    role = contacts.committee_role

    def count(condition: ir.BooleanValue) -> ir.IntegerValue:
        return ibis.ifelse(condition, 1, 0).sum()

    return contacts.group_by("account_id").aggregate(
        contacts_engagement=contacts.engagement.sum(),
        engaged_contacts=count(engaged),
        activities=contacts.recent_activities.sum(),
        committee_roles_engaged=role.nunique(where=engaged & (role != OTHER)),
        mql_contacts=count(contacts.lead_status == "mql"),
        **{f"engaged_{r}": count(engaged & (role == r)) for r in ctx.model.spec.buying_committee.roles},
    )


def _top_contact(contacts: ir.Table) -> ir.Table:
    """The engaged contact with the highest engagement (ties: lowest contact_id)."""
    engaged = contacts.filter(contacts.engaged)
    order = [engaged.engagement.desc(), engaged.contact_id.asc()]
    ranked = engaged.mutate(top_rank=ibis.row_number().over(group_by=engaged.account_id, order_by=order))
    top = ranked.filter(ranked.top_rank == 0)
    return top.select(
        "account_id",
        top_contact=person_name(top.first_name, top.last_name),
        top_contact_id=top.contact_id,
        top_contact_title=top.title,
        top_contact_department=top.department,
    )


def _pipeline(opportunities: ir.Table) -> ir.Table:
    """Open opportunities at the horizon (SPEC §3) and their amounts (NULL counts 0)."""
    open_amount = ibis.ifelse(opportunities.open, opportunities.amount.fill_null(0.0), 0.0)
    return opportunities.group_by("account_id").aggregate(
        has_open_opportunity=opportunities.open.any(), open_pipeline=open_amount.sum()
    )


def _qualify(ctx: Context, measures: ir.Table) -> ir.Table:
    """target, then mqa and sqa, then the journey stage; each sees the results before it."""
    model = ctx.model
    # SPEC §4.6: inside target_when `target` is the accounts column; everywhere after, the result.
    target = compile_predicate(model.conditions[("accounts", "target_when")], measures)
    measures = measures.mutate(target=target)
    default = compile_predicate(model.conditions[("accounts", "mqa_when")], measures)
    per_tier = [
        (measures.tier == tier, compile_predicate(model.conditions[("accounts", "mqa_when_tier", tier)], measures))
        for tier in model.spec.accounts.mqa_when_tier
    ]
    criteria = ibis.cases(*per_tier, else_=default) if per_tier else default
    measures = measures.mutate(mqa=measures.target & criteria)
    measures = measures.mutate(sqa=compile_predicate(model.conditions[("accounts", "sqa_when")], measures))
    stages = []
    for i, stage in enumerate(model.spec.journey):
        holds = (
            ibis.literal(True)
            if stage.when is None
            else compile_predicate(model.conditions[("journey", i, "when")], measures)
        )
        stages.append((holds, ibis.literal(stage.stage)))
    stage_value = ibis.cases(*stages, else_=ibis.null("string")) if stages else ibis.null("string")
    return measures.mutate(stage=stage_value)
