"""The model in plain language, for `whynow check`: a RevOps lead reviews rules without reading YAML.

describe_condition("industry IN ('Software', 'Healthcare')")  ->  "industry is one of Software, Healthcare"
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlglot import exp

from whynow.model.check import CompiledModel
from whynow.model.conditions import Condition

_PHRASES: dict[type[exp.Expression], str] = {
    exp.EQ: "is",
    exp.NEQ: "is not",
    exp.LT: "is less than",
    exp.LTE: "is at most",
    exp.GT: "is more than",
    exp.GTE: "is at least",
}


def describe_condition(condition: Condition | exp.Expression) -> str:
    """A condition in words.

    >>> import sqlglot
    >>> describe_condition(sqlglot.parse_one("employees BETWEEN 200 AND 10000 AND url LIKE '%/pricing%'"))
    "employees is between 200 and 10000 and url contains '/pricing'"
    """
    tree = condition.tree if isinstance(condition, Condition) else condition
    return _say(tree, top=True)


def _say(node: exp.Expression, top: bool = False) -> str:
    if isinstance(node, exp.Paren):
        return _say(node.this, top)
    if isinstance(node, exp.And | exp.Or):
        word = "and" if isinstance(node, exp.And) else "or"
        parts = [_grouped(node.this, node), _grouped(node.expression, node)]
        return f" {word} ".join(parts)
    if isinstance(node, exp.Not):
        inner = node.this.this if isinstance(node.this, exp.Paren) else node.this
        if isinstance(inner, exp.Is):
            return f"{_say(inner.this)} is set"
        if isinstance(inner, exp.In):
            return f"{_say(inner.this)} is none of {_listing(inner.expressions)}"
        if isinstance(inner, exp.Between):
            return f"{_say(inner.this)} is not between {_say(inner.args['low'])} and {_say(inner.args['high'])}"
        if isinstance(inner, exp.Column):
            return f"not {_say(inner)}"
        return f"not ({_say(inner, top=True)})"
    if isinstance(node, exp.Is):
        return f"{_say(node.this)} is unknown"
    if type(node) in _PHRASES:
        return f"{_say(node.this)} {_PHRASES[type(node)]} {_say(node.expression)}"
    if isinstance(node, exp.In):
        return f"{_say(node.this)} is one of {_listing(node.expressions)}"
    if isinstance(node, exp.Between):
        return f"{_say(node.this)} is between {_say(node.args['low'])} and {_say(node.args['high'])}"
    if isinstance(node, exp.Like | exp.ILike):
        return _like(node)
    if isinstance(node, exp.Literal) and node.is_string:
        return f"'{node.this}'"
    if isinstance(node, exp.Func) and not isinstance(node, exp.Binary):
        args = ", ".join(_say(a) for a in (node.this, *node.expressions) if isinstance(a, exp.Expression))
        return f"{node.sql_name().lower()}({args})"
    return node.sql(dialect="duckdb")


def _grouped(node: exp.Expression, parent: exp.Expression) -> str:
    inner = node.this if isinstance(node, exp.Paren) else node
    if isinstance(inner, exp.And | exp.Or) and type(inner) is not type(parent):
        return f"({_say(inner)})"
    return _say(inner)


def _listing(items: list[exp.Expression]) -> str:
    return ", ".join(i.this if isinstance(i, exp.Literal) and i.is_string else _say(i) for i in items)


def _like(node: exp.Like | exp.ILike) -> str:
    subject = _say(node.this)
    pattern = node.expression
    negate = bool(node.args.get("negate"))
    case = " (any case)" if isinstance(node, exp.ILike) else ""
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        text = pattern.this
        core = text.strip("%")
        if "%" not in core and "_" not in core:
            starts, ends = text.startswith("%"), text.endswith("%")
            verb = {(True, True): "contains", (False, True): "starts with", (True, False): "ends with"}.get(
                (starts, ends), "is"
            )
            if negate:
                verb = {
                    "contains": "does not contain",
                    "starts with": "does not start with",
                    "ends with": "does not end with",
                    "is": "is not",
                }[verb]
            return f"{subject} {verb} '{core}'{case}"
    return f"{subject} {'does not match' if negate else 'matches'} {_say(pattern)}{case}"


def _points(value: float) -> str:
    return f"{value:+g}"


def describe_model(model: CompiledModel) -> Iterator[str]:
    """Every rule of the model, one line each, in the order of the file's sections."""
    spec = model.spec
    yield f"Model '{spec.model}'"
    for table, columns in spec.columns.items():
        listed = ", ".join(f"{name} ({kind})" for name, kind in columns.items())
        yield f"Extra {table} columns the rules use: {listed}"
    for level, title in (("account", "Account fit"), ("contact", "Contact fit")):
        for i, rule in enumerate(getattr(spec.fit, level)):
            yield f"{title}: {_points(rule.points)} when {_cond(model, ('fit', level, i, 'when'))}  ({rule.name})"
    grades = ", ".join(f"{letter} from {threshold:g}" for letter, threshold in model.grades)
    yield f"Fit grades: {grades}, else {model.fallback_grade}"
    eng = spec.engagement
    decay = f"halve every {eng.half_life_days:g} days" if eng.half_life_days else "do not decay"
    yield (
        f"Engagement: activities of the last {eng.lookback_days} days count; points {decay}; "
        f"anonymous activity counts ×{eng.anonymous_weight:g} toward its account"
    )
    for i, eng_rule in enumerate(eng.rules):
        extra = f", at most {eng_rule.cap:g} per person" if eng_rule.cap is not None else ""
        raiser = " — a hand-raiser" if eng_rule.hand_raiser else ""
        yield (
            f"Engagement: {_points(eng_rule.points)} per activity when "
            f"{_cond(model, ('engagement', 'rules', i, 'when'))}{extra}{raiser}  ({eng_rule.name})"
        )
    for status in ("disqualify", "sql", "mql", "nurture"):
        text = getattr(spec.leads, f"{status}_when")
        name = "disqualified" if status == "disqualify" else status.upper() if status != "nurture" else status
        if text is not None:
            yield f"Lead status {name} when {_cond(model, ('leads', f'{status}_when'))}"
    yield "Lead status new otherwise (checked in the order disqualified, SQL, MQL, nurture)"
    bc = spec.buying_committee
    for role in bc.roles:
        yield f"Buying committee: {role} when {_cond(model, ('buying_committee', 'roles', role))}"
    yield f"Buying committee: a contact is engaged after an engaging activity in the last {bc.engaged_within_days} days"
    for name, signal in model.signals.items():
        where = f" where {describe_condition(signal.where)}" if signal.where else ""
        window = f" in the last {signal.within_days} days" if signal.within_days else ""
        yield (
            f"Signal '{name}' ({signal.level}): {signal.measure.kind}"
            + (f" of {signal.measure.column}" if signal.measure.column else "")
            + f" over {signal.table}{where}{window}"
        )
    target = _cond(model, ("accounts", "target_when"))
    yield "Every account is a target" if target == "TRUE" else f"Target account when {target}"
    yield f"MQA when target and {_cond(model, ('accounts', 'mqa_when'), grouped=True)}"
    for tier in spec.accounts.mqa_when_tier:
        yield f"MQA for tier {tier} when target and {_cond(model, ('accounts', 'mqa_when_tier', tier), grouped=True)}"
    yield f"SQA when {_cond(model, ('accounts', 'sqa_when'))}"
    for i, stage in enumerate(spec.journey):
        when = _cond(model, ("journey", i, "when")) if stage.when else "otherwise"
        yield f"Journey stage {stage.stage}: {'when ' if stage.when else ''}{when}"
    order = " > ".join(spec.badges.precedence)
    yield f"Badge precedence: {order}"
    for i, badge in enumerate(spec.badges.definitions):
        who = " for a person" if badge.for_ == "contact" else ""
        route = f", routed to {badge.route_to}" if badge.for_ == "account" else ""
        yield (
            f"Badge '{badge.label}'{who} ({badge.archetype}, expires {badge.expires_after_days} days after its "
            f"signals stop): when {_cond(model, ('badges', 'definitions', i, 'when'))} → "
            f'{model.motions[badge.archetype]}: {badge.play}{route}. Says: "{badge.why}"'
        )
    cap = spec.capacity
    roles = "".join(f", {role} {size}" for role, size in cap.per_role.items())
    yield (
        f"Capacity: {cap.default_per_rep} accounts per rep{roles}; {cap.unassigned} without an owner; "
        f"queues ranked by {cap.rank_by}"
    )
    days = spec.feedback
    yield (
        f"Sales feedback: a rep's 'not now' keeps the account out of their queue for {days.not_now_days} days, "
        f"'wrong fit' for {days.wrong_fit_days}, unless a badge of a higher archetype comes"
    )
    on = spec.alerts.turned_on()
    yield f"Alerts: Slack {'on' if 'slack' in on else 'off'}, webhook {'on' if 'webhook' in on else 'off'}"
    for level, link in model.links.items():  # SPEC §4.1: absent, no line (no CRM links)
        yield f"Open in CRM, for each {level}: {link.text} (with its {', '.join(link.columns)}, URL-encoded)"


def _cond(model: CompiledModel, path: tuple[str | int, ...], grouped: bool = False) -> str:
    condition = model.condition(*path)
    if condition is None:
        return "(not checked)"
    text = describe_condition(condition)
    tree = condition.tree.this if isinstance(condition.tree, exp.Paren) else condition.tree
    return f"({text})" if grouped and isinstance(tree, exp.Or) else text
