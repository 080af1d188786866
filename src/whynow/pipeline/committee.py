"""Buying committee roles (SPEC §4.1, §4.4): every contact gets its first matching role, else `other`."""

from __future__ import annotations

import ibis

from whynow.model.compile import compile_predicate
from whynow.pipeline.context import Context
from whynow.pipeline.tables import Tables

OTHER = "other"


def assign_roles(ctx: Context, tables: Tables) -> Tables:
    """`contact_roles`: contact_id, committee_role (engaged or not; engagement is a separate measure)."""
    contacts = tables["contacts"]
    branches = [
        (compile_predicate(ctx.model.conditions[("buying_committee", "roles", role)], contacts), ibis.literal(role))
        for role in ctx.model.spec.buying_committee.roles
    ]
    role = ibis.cases(*branches, else_=ibis.literal(OTHER)) if branches else ibis.literal(OTHER)
    return {**tables, "contact_roles": contacts.select("contact_id", committee_role=role)}
