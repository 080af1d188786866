"""Load a model file: YAML with line numbers, `${ENV}` interpolation, schema validation, then checks.

    load_model(path) -> CompiledModel      raises ModelError listing every problem found
    load_model_text(text, display=True)    the model for showing (the dashboard): no secret is resolved
    mask_secrets(text) -> str              the model's text for showing: values under secret keys are `***`

YAML errors, unknown keys, wrong types, unset variables, bad conditions and bad templates are all
collected and reported together, each with the file, the line and the rule's name (SPEC §4).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from whynow.errors import ModelError, ModelProblem, did_you_mean
from whynow.model.check import CompiledModel, check_model
from whynow.model.conditions import describe_character, unsafe_character
from whynow.model.locate import Locator
from whynow.model.locate import Path as KeyPath
from whynow.model.schema import Model

MAX_NESTING = 50  # a model nests a handful of levels; deeper is a mistake or an attack on the recursion


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. YAML 1.1 would read the key `on:` (alerts) as True.

    PyYAML composes nodes recursively: nesting is bounded here, before Python's recursion limit is.
    """

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                raise _TooDeep(self.peek_event().start_mark.line + 1)  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def load_model(path: str | Path) -> CompiledModel:
    """Read, validate and check a model file.

    >>> from whynow.examples import reference_model_path
    >>> load_model(reference_model_path()).name
    'reference-saas'
    """
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as e:
        raise ModelError([ModelProblem(str(file), None, None, f"cannot read the model: {e.strerror}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ModelError([ModelProblem(str(file), None, None, "the model is not UTF-8 text")]) from None
    return load_model_text(text, str(file), digest=hashlib.sha256(raw).hexdigest())


def load_model_text(
    text: str, file: str = "<model>", digest: str | None = None, *, display: bool = False
) -> CompiledModel:
    r"""Like `load_model`, from text already read; `file` names it in messages.

    `display=True` loads a model to show it (the dashboard, SPEC §8), where no secret is needed or
    wanted, wherever the model is shown: a variable under `alerts` or a secret key (`is_secret`) is never
    read: it is `***` where the environment or its default gives it a value, empty where that is empty,
    and `${NAME}` where it is unset; any other variable unset without a default is empty. A key whose
    stand-in the schema refuses (a number) takes its default.

    >>> hook = "model: t\nalerts: {slack: {webhook_url: ${WHYNOW_DOCTEST_UNSET}}}"
    >>> load_model_text(hook, display=True).spec.alerts.slack.webhook_url
    '${WHYNOW_DOCTEST_UNSET}'
    """
    locator = Locator(file)
    problems: list[ModelProblem] = []
    reader = _Reader(text, locator, problems, display=display)
    data = reader.read()
    locator.data = data
    problems += [locator.problem(path, message) for path, message in reader.deferred]
    if not isinstance(data, dict):
        if not problems:
            problems.append(locator.problem((), "a model is a YAML mapping with at least `model: NAME`"))
        raise ModelError(problems)
    # An empty section (`signals:` with nothing under it) means "the defaults".
    data = {k: v for k, v in data.items() if v is not None}
    if reader.stand_ins:
        data = _without_invalid_stand_ins(data, reader.stand_ins, locator)
    spec, aside = _validate(data, locator, problems)
    compiled = None
    if spec is not None and not aside.sections & {"columns", "signals", "buying_committee"}:
        compiled = check_model(
            spec,
            locator,
            problems,
            unchecked_signals=aside.signals,
            unchecked_roles=aside.roles,
            failed_sections=aside.sections,
        )
    if problems or compiled is None:
        raise ModelError(sorted(problems, key=lambda p: p.line or 0))
    digest = digest or hashlib.sha256(text.encode()).hexdigest()
    return compiled.with_source(text, digest)


def is_secret(path: KeyPath) -> bool:
    """Whether a value of the model is, or may hold, a secret: one under `alerts` (the channels' URLs,
    tokens and signing secrets, SPEC §7) or under a key named like one.

    >>> is_secret(("alerts", "slack", "webhook_url")), is_secret(("capacity", "default_per_rep"))
    (True, False)
    """
    return path[:1] == ("alerts",) or any(isinstance(part, str) and _SECRET_KEY.search(part) for part in path)


_SECRET_KEY = re.compile(r"secret|token|password|api_?key|^(webhook_)?url$", re.IGNORECASE)
MASK = "***"


def mask_secrets(text: str) -> str:
    r"""The text of a model with the value of every secret key (`webhook_url`, `bot_token`, `secret`, `url`, …)
    as `"***"`, for a page that shows the model; a value made only of `${NAME}` (or `${NAME:-}`) stays, as
    it names a secret without holding one.

    >>> print(mask_secrets("alerts:\n  slack: {webhook_url: 'https://hooks.example/T0'}\n  link: ${URL}"))
    alerts:
      slack: {webhook_url: "***"}
      link: ${URL}
    """
    originals: list[re.Match[str]] = []

    def token(match: re.Match[str]) -> str:
        originals.append(match)
        return f"__whynow_env_{len(originals) - 1}__"

    tokenized = _ENV.sub(token, text)
    spans: set[tuple[int, int]] = set()

    seen: set[tuple[int, bool]] = set()

    def walk(node: yaml.Node, secret: bool) -> None:
        if (id(node), secret) in seen:  # an alias (*name) is its anchor's node: once is enough
            return
        seen.add((id(node), secret))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, secret or bool(_SECRET_KEY.search(str(key.value))))
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item, secret)
        elif secret:
            written = _TOKEN.sub(lambda t: originals[int(t.group(1))].group(2) or "", node.value)
            if written.strip():  # literal text, or a default: more than the names of secrets
                spans.add((node.start_mark.index, node.end_mark.index))

    try:
        loader = _Loader(tokenized)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except (yaml.YAMLError, _TooDeep):
        node = None
    if node is None:  # not a YAML mapping (no run read it): every line that looks like a secret key's
        return _SECRET_LINE.sub(r'\1"***"', text)
    walk(node, False)
    for start, end in sorted(spans, reverse=True):
        kept = "\n" if tokenized[start:end].endswith("\n") else ""  # a block scalar ends with its line
        tokenized = f'{tokenized[:start]}"{MASK}"{kept}{tokenized[end:]}'
    return _TOKEN.sub(lambda t: originals[int(t.group(1))].group(0), tokenized)


_SECRET_LINE = re.compile(
    r"^(\s*(?:-\s*)?['\"]?[\w-]*(?:secret|token|password|api_?key|url)['\"]?\s*:\s*)(?!\$\{[^}:]*\}\s*$)\S.*$",
    re.IGNORECASE | re.MULTILINE,
)


def _without_invalid_stand_ins(data: dict[Any, Any], stand_ins: set[KeyPath], locator: Locator) -> dict[Any, Any]:
    """`data` without the values that display loading stood in for (`${NAME}`, `***`) where the schema
    refuses them (a number, a boolean): those keys take their defaults."""
    for _ in range(6):
        try:
            Model.model_validate(data)
            return data
        except ValidationError as e:
            refused = {tuple(err["loc"]) for err in e.errors()} & stand_ins
            if not refused:
                return data
            for path in sorted(refused, key=_path_order, reverse=True):  # later list items first
                data = _without(data, path, locator)
                stand_ins.discard(path)
    return data


_TOKEN = re.compile(r"__whynow_env_(\d+)__")
MAX_VALUES = 50_000  # a model holds hundreds; more means aliases expanding without end


class _Reader:
    """Builds Python values from YAML nodes, recording each key's line and replacing `${VAR}`.

    `${VAR}` is replaced by a YAML-safe token before parsing (so it works in flow mappings and keys)
    and by the variable's text after: a value from the environment is text, never re-read as YAML, and
    the schema converts it where a number or boolean is expected (SPEC §4.1).
    """

    def __init__(self, text: str, locator: Locator, problems: list[ModelProblem], display: bool = False) -> None:
        self.display = display
        self.stand_ins: set[KeyPath] = set()  # where `display` gave a value a run would not have
        self.originals: list[re.Match[str]] = []
        self.text = _ENV.sub(self._token, text)
        self.locator = locator
        self.problems = problems
        self.built = 0
        # Problems reported once the whole file is read, when the locator can name their rules.
        self.deferred: list[tuple[KeyPath, str]] = []

    def _token(self, match: re.Match[str]) -> str:
        self.originals.append(match)
        return f"__whynow_env_{len(self.originals) - 1}__"

    def read(self) -> Any:
        try:
            loader = _Loader(self.text)  # the reader refuses unprintable characters here, before parsing
        except yaml.reader.ReaderError as e:
            at = self.text.count("\n", 0, e.position) + 1
            what = describe_character(chr(e.character)) if isinstance(e.character, int) else "a character"
            self.problems.append(
                ModelProblem(self.locator.file, at, None, f"YAML: {what} is not allowed in a model file; remove it")
            )
            return None
        try:
            node = loader.get_single_node()
            return None if node is None else self.build(node, (), loader)
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line = mark.line + 1 if mark else None
            what = " ".join(self.original(str(p)) for p in (e.context, e.problem) if p)
            self.problems.append(ModelProblem(self.locator.file, line, None, f"YAML syntax error: {what}"))
        except yaml.YAMLError as e:
            self.problems.append(ModelProblem(self.locator.file, None, None, f"YAML syntax error: {e}"))
        except _TooDeep as e:
            self.problems.append(
                ModelProblem(
                    self.locator.file,
                    e.line,
                    None,
                    f"the YAML nests deeper than {MAX_NESTING} levels (or an alias (*name) contains itself); "
                    "a model needs a handful",
                )
            )
        except _TooLarge:
            self.problems.append(
                ModelProblem(
                    self.locator.file,
                    None,
                    None,
                    f"the model expands to over {MAX_VALUES} values; are YAML aliases (*name) repeating each other?",
                )
            )
        finally:
            loader.dispose()
        return None

    def build(self, node: yaml.Node, path: KeyPath, loader: _Loader) -> Any:
        self.built += 1
        if self.built > MAX_VALUES:
            raise _TooLarge
        if len(path) > MAX_NESTING:
            raise _TooDeep(node.start_mark.line + 1)
        self.locator.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.scalar(key_node, path, loader)
                if not isinstance(key, str | int | float) or isinstance(key, bool):
                    key = str(key)
                child = (*path, key)
                self.locator.lines[child] = key_node.start_mark.line + 1
                if key in out:
                    self.problems.append(self.locator.problem(child, f"the key '{key}' appears twice; keep one"))
                out[key] = self.build(value_node, child, loader)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), loader) for i, item in enumerate(node.value)]
        return self.scalar(node, path, loader)

    def scalar(self, node: yaml.Node, path: KeyPath, loader: _Loader) -> Any:
        try:
            value = loader.construct_object(node, deep=True)
        except yaml.YAMLError as e:
            self.problems.append(
                ModelProblem(self.locator.file, node.start_mark.line + 1, None, f"YAML: {getattr(e, 'problem', e)}")
            )
            return None
        if isinstance(value, bytes):
            self.deferred.append((path, "binary values (!!binary) are not allowed; write text"))
            return ""
        if len(path) == 3 and path[0] == "push" and path[2] in _CREDENTIALS and value not in (None, ""):
            self.environment_only(value, path)
        if isinstance(value, str) and _TOKEN.search(value):
            value = self.interpolate(value, path)
        unsafe = unsafe_character(value) if isinstance(value, str) else None
        if unsafe is not None:
            # Text reaches SQL literals and outputs: a NUL ends a DuckDB string, a lone surrogate cannot be
            # encoded, a bidi control makes the text read differently from how it runs ("Trojan Source").
            self.deferred.append((path, f"the text holds {describe_character(unsafe)}; remove it"))
            return "".join(c for c in value if unsafe_character(c) is None)
        return value

    def environment_only(self, value: object, path: KeyPath) -> None:
        """A CRM credential is `${NAME}` (or `${NAME:-}`), never the secret itself (SPEC §12): the model's text
        is stored with every run and shown on the dashboard."""
        written = self.original(value) if isinstance(value, str) else str(value)
        match = _ENV.fullmatch(written.strip())
        if match is None or match.group(2):
            name = f"{path[1]}_{path[2]}".upper()
            self.deferred.append(
                (path, f"a CRM credential comes from the environment only; write ${{{name}}} and set {name}")
            )

    def interpolate(self, value: str, path: KeyPath) -> str:
        shown = self.original(value)

        def replace(token: re.Match[str]) -> str:
            match = self.originals[int(token.group(1))]
            name, default = match.group(1), match.group(2)
            given = os.environ.get(name, default)
            if self.display and is_secret(path):
                self.stand_ins.add(path)  # `${NAME}` unset: it was set where the model ran, so the channel was on
                return match.group(0) if given is None else MASK if given else ""
            if self.display and given is None:
                self.stand_ins.add(path)
                return ""
            if name in os.environ:
                return os.environ[name]
            if default is not None:
                return default
            at = shown.find(match.group(0))
            self.problems.append(
                self.locator.problem(
                    path,
                    f"environment variable {name} is not set; set it, or write ${{{name}:-default}}",
                    shown,
                    at,
                    at + len(match.group(0)) - 1,
                )
            )
            return ""

        return _TOKEN.sub(replace, value)

    def original(self, text: str) -> str:
        """Text with its tokens turned back into the `${VAR}` the user wrote."""
        return _TOKEN.sub(lambda t: self.originals[int(t.group(1))].group(0), text)


class _TooLarge(Exception):
    pass


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


@dataclass
class _SetAside:
    """What schema validation set aside: whole sections, and signals and roles that other rules may name."""

    sections: set[str] = field(default_factory=set)
    signals: set[str] = field(default_factory=set)
    roles: set[str] = field(default_factory=set)


def _validate(data: dict[Any, Any], locator: Locator, problems: list[ModelProblem]) -> tuple[Model | None, _SetAside]:
    """The spec, and what was set aside to get it.

    So that every problem is reported at once, an invalid rule is set aside and the rest is validated
    again: the other rules' conditions are still checked (the locator maps their paths back).
    """
    aside = _SetAside()
    reported: set[tuple[KeyPath, str]] = set()
    for _ in range(6):
        try:
            return Model.model_validate(data), aside
        except ValidationError as e:
            cuts: set[KeyPath] = set()
            for error in e.errors():
                loc = tuple(part for part in error["loc"] if part != "[key]")
                problem = _schema_problem(error, loc, locator)
                if (loc, problem.message) not in reported:
                    reported.add((loc, problem.message))
                    problems.append(problem)
                cuts.add(_prune_point(loc))
            before = data
            for cut in sorted(cuts, key=_path_order)[::-1]:
                if len(cut) == 2 and cut[0] == "signals":
                    aside.signals.add(str(cut[1]))
                if len(cut) == 3 and cut[:2] == ("buying_committee", "roles"):
                    aside.roles.add(str(cut[2]))
                if len(cut) == 1:
                    aside.sections.add(str(cut[0]))
                data = _without(data, cut, locator)
            if data == before:
                break
    return None, aside


def _path_order(path: KeyPath) -> list[tuple[int, int, str]]:
    """Sorts key paths with list indexes as numbers (9 before 10)."""
    return [(0, k, "") if isinstance(k, int) else (1, 0, k) for k in path]


_KEYED = {("signals",), ("buying_committee", "roles"), ("accounts", "mqa_when_tier")}


def _prune_point(loc: KeyPath) -> KeyPath:
    """The smallest part of the model to set aside for an error at `loc`: its rule, else its section."""
    for end in range(1, len(loc)):
        if isinstance(loc[end], int) or loc[:end] in _KEYED:
            return loc[: end + 1]
    return loc[:1]


def _without(data: Any, path: KeyPath, locator: Locator, at: KeyPath = ()) -> Any:
    """A copy of `data` without the value at `path` (a section falls back to its defaults)."""
    head, rest = path[0], path[1:]
    if not at and path == ("model",):
        return {**data, "model": "unnamed"}  # keep checking the rest of a model without a name
    if isinstance(data, dict) and head in data:
        copy = dict(data)
        if rest:
            copy[head] = _without(copy[head], rest, locator, (*at, head))
        else:
            del copy[head]
        return copy
    if isinstance(data, list) and isinstance(head, int) and 0 <= head < len(data):
        items = list(data)
        if rest:
            items[head] = _without(items[head], rest, locator, (*at, head))
        else:
            del items[head]
            locator.forget_item(at, head, len(data))
        return items
    return data


_SECRET_KEYS = frozenset({"webhook_url", "bot_token", "secret", "url"})  # SPEC §7: never printed
_CREDENTIALS = frozenset({"access_token", "password", "security_token", "token"})  # of push.CRM (SPEC §12)
_TYPE_WORDS = {dict: "a mapping", list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false"}
_EXPECTED = {
    "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
    "list_type": "a list (- item lines, or [a, b])",
    "string_type": "text (quote it)",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "finite_number": "a finite number",
}


def _shown(value: Any, loc: KeyPath) -> str:
    """A value quoted in a message: short, and never a secret."""
    if any(part in _SECRET_KEYS or part in _CREDENTIALS for part in loc):
        return "(hidden)"
    if value is None:
        return "nothing"
    if isinstance(value, dict | list):
        return _TYPE_WORDS[type(value)]
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _schema_problem(error: Any, loc: KeyPath, locator: Locator) -> ModelProblem:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx", {})
    key = str(loc[-1]) if loc else "model"
    if kind == "extra_forbidden":
        allowed = _fields_at(loc[:-1])
        noun = "section" if len(loc) == 1 else "key"
        hint = did_you_mean(key, allowed)
        listing = f"; allowed: {', '.join(allowed)}" if not hint and allowed else ""
        return locator.problem(loc, f"unknown {noun} '{key}'{hint}{listing}")
    if kind == "missing":
        return locator.problem(loc[:-1], f"'{key}' is required here")
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = did_you_mean(str(value), allowed)
        return locator.problem(
            loc, f"{_shown(value, loc)} is not allowed for {key}{hint}; use one of {', '.join(allowed)}"
        )
    if "[key]" in error["loc"]:
        key = "the key"
    if isinstance(value, float) and not math.isfinite(value):
        kind = "finite_number"  # pydantic may test a bound before finiteness: nan is "not at least -10000"
    if kind in _EXPECTED:
        return locator.problem(loc, f"{key} must be {_EXPECTED[kind]}, not {_shown(value, loc)}")
    if kind in _BOUNDS:
        words, bound = _BOUNDS[kind][0], ctx.get(_BOUNDS[kind][1])
        return locator.problem(loc, f"{key} must be {words} {_number(bound)}, not {_shown(value, loc)}")
    if kind == "value_error":
        return locator.problem(loc, str(ctx.get("error", error["msg"])))
    if kind == "string_too_short":
        return locator.problem(loc, f"{key} must not be empty")
    return locator.problem(loc, f"{key}: {error['msg'].lower()}, not {_shown(value, loc)}")


_BOUNDS = {  # pydantic's error type → the words, and the key of the bound in its context
    "greater_than_equal": ("at least", "ge"),
    "greater_than": ("more than", "gt"),
    "less_than_equal": ("at most", "le"),
    "less_than": ("less than", "lt"),
}


def _number(bound: Any) -> str:
    """A bound as the user wrote the limit: 36500, not 36500.0."""
    return str(int(bound)) if isinstance(bound, float) and bound.is_integer() else str(bound)


def _fields_at(path: KeyPath) -> list[str]:
    """The keys allowed at a path of the schema, for "did you mean" on an unknown key."""
    current: Any = Model
    for key in path:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next(
                (f for n, f in current.model_fields.items() if key in (n, f.alias)),
                None,
            )
            if field is None:
                return []
            current = field.annotation
        else:
            args = typing.get_args(current)
            current = args[-1] if args else None
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    """`X | None` → X."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation
