"""Fit (SPEC §4.2): the clamped sum of the points of every rule that holds, and its grade letter.

Account rules see account columns and account signals; contact rules see contact columns. Each rule
that holds also leaves a `fit_breakdown` row, so a fit is always the clamp of its rows' sum.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from whynow.model.compile import compile_predicate
from whynow.model.schema import FitRule
from whynow.pipeline.context import Context, rounded
from whynow.pipeline.tables import BREAKDOWN_SCHEMA, Tables, attach, empty_table

FIT_LIMIT = 100


def score_fit(ctx: Context, tables: Tables) -> Tables:
    """`account_fit`, `contact_fit` (id, fit, fit_grade) and `fit_breakdown` (one row per rule held)."""
    accounts = tables["accounts"]
    signals = tables["account_signals"]
    account_base = attach(accounts, signals, "account_id")
    parts = []
    out = dict(tables)
    for level, base, id_column in (
        ("account", account_base, "account_id"),
        ("contact", tables["contacts"], "contact_id"),
    ):
        rules: list[FitRule] = getattr(ctx.model.spec.fit, level)
        held = [compile_predicate(ctx.model.conditions[("fit", level, i, "when")], base) for i in range(len(rules))]
        total: ir.NumericValue = ibis.literal(0.0)
        for rule, condition in zip(rules, held, strict=True):
            total = total + ibis.ifelse(condition, ibis.literal(float(rule.points)), ibis.literal(0.0))
        fit = rounded(ibis.greatest(ibis.least(total, FIT_LIMIT), -FIT_LIMIT))
        scored = base.select(id_column, fit=fit)
        out[f"{level}_fit"] = scored.mutate(fit_grade=grade(ctx, scored.fit))
        for rule, condition in zip(rules, held, strict=True):
            parts.append(
                base.filter(condition)
                .select(
                    entity_type=ibis.literal(level),
                    entity_id=base[id_column],
                    part=ibis.literal("fit"),
                    rule=ibis.literal(rule.name),
                    points=ibis.literal(float(rule.points)),
                    rows=ibis.literal(1, type="int64"),
                    capped=ibis.literal(False),
                )
                .cast(BREAKDOWN_SCHEMA)  # Spark reads 40.0 as a decimal and 1 as an int
            )
    out["fit_breakdown"] = ibis.union(*parts) if parts else empty_table(tables["accounts"], BREAKDOWN_SCHEMA)
    return out


def grade(ctx: Context, fit: ir.NumericValue) -> ir.StringValue:
    """The letter of the highest threshold the fit reaches, else the fallback letter."""
    branches = [(fit >= threshold, ibis.literal(letter)) for letter, threshold in ctx.model.grades]
    return ibis.cases(*branches, else_=ibis.literal(ctx.model.fallback_grade))
