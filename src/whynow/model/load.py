"""Load a model file: YAML with line numbers, `${ENV}` interpolation, schema validation, then checks.

    load_model(path) -> CompiledModel      raises ModelError listing every problem found

YAML errors, unknown keys, wrong types, unset variables, bad conditions and bad templates are all
collected and reported together, each with the file, the line and the rule's name (SPEC §4).
"""

from __future__ import annotations

import hashlib
import os
import re
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from whynow.errors import ModelError, ModelProblem, did_you_mean
from whynow.model.check import CompiledModel, check_model
from whynow.model.locate import Locator
from whynow.model.locate import Path as KeyPath
from whynow.model.schema import Model


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. YAML 1.1 would read the key `on:` (alerts) as True."""


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


def load_model_text(text: str, file: str = "<model>", digest: str | None = None) -> CompiledModel:
    """Like `load_model`, from text already read; `file` names it in messages."""
    locator = Locator(file)
    problems: list[ModelProblem] = []
    data = _read_yaml(text, locator, problems)
    if not isinstance(data, dict):
        if not problems:
            problems.append(locator.problem((), "a model is a YAML mapping with at least `model: NAME`"))
        raise ModelError(problems)
    locator.data = data
    # An empty section (`signals:` with nothing under it) means "the defaults".
    data = {k: v for k, v in data.items() if v is not None}
    spec, failed, unchecked_signals = _validate(data, locator, problems)
    compiled = None
    if spec is not None and not failed & {"columns", "signals", "buying_committee"}:
        compiled = check_model(spec, locator, problems, unchecked_signals=unchecked_signals)
    if problems or compiled is None:
        raise ModelError(sorted(problems, key=lambda p: p.line or 0))
    digest = digest or hashlib.sha256(text.encode()).hexdigest()
    return compiled.with_source(text, digest)


def _read_yaml(text: str, locator: Locator, problems: list[ModelProblem]) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        what = " ".join(str(p) for p in (e.context, e.problem) if p)
        problems.append(ModelProblem(locator.file, line, None, f"YAML syntax error: {what}"))
        return None
    except yaml.YAMLError as e:
        problems.append(ModelProblem(locator.file, None, None, f"YAML syntax error: {e}"))
        return None
    finally:
        loader.dispose()
    if node is None:
        return None
    return _build(node, (), loader, locator, problems)


def _build(node: yaml.Node, path: KeyPath, loader: _Loader, locator: Locator, problems: list[ModelProblem]) -> Any:
    """Python values from YAML nodes, recording each key's line and interpolating `${VAR}`."""
    locator.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | bool | float) or isinstance(key, bool):
                key = str(key)
            child = (*path, key)
            if key in out:
                locator.lines[child] = key_node.start_mark.line + 1
                problems.append(locator.problem(child, f"the key '{key}' appears twice; keep one"))
            locator.lines[child] = key_node.start_mark.line + 1
            out[key] = _build(value_node, child, loader, locator, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), loader, locator, problems) for i, item in enumerate(node.value)]
    value = loader.construct_object(node, deep=True)
    if isinstance(value, str) and "${" in value:
        return _interpolate(value, node, path, locator, problems)
    return value


def _interpolate(value: str, node: yaml.Node, path: KeyPath, locator: Locator, problems: list[ModelProblem]) -> Any:
    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        problems.append(
            locator.problem(
                path,
                f"environment variable {name} is not set; set it, or write ${{{name}:-default}}",
                value,
                match.start(),
                match.end() - 1,
            )
        )
        return ""

    result = _ENV.sub(replace, value)
    if isinstance(node, yaml.ScalarNode) and node.style is None and result:
        # A plain scalar reads as YAML would have read the substituted text: `points: ${P}` is a number.
        try:
            return yaml.load(result, Loader=_Loader)
        except yaml.YAMLError:
            return result
    return result


def _validate(
    data: dict[Any, Any], locator: Locator, problems: list[ModelProblem]
) -> tuple[Model | None, set[str], set[str]]:
    """The spec, the top-level sections that failed whole, and the signals set aside.

    So that every problem is reported at once, an invalid rule is set aside and the rest is validated
    again: the other rules' conditions are still checked (the locator maps their paths back).
    """
    pruned_signals: set[str] = set()
    failed: set[str] = set()
    for _ in range(5):
        try:
            return Model.model_validate(data), failed, pruned_signals
        except ValidationError as e:
            cuts: set[KeyPath] = set()
            for error in e.errors():
                loc = tuple(error["loc"])
                problems.append(_schema_problem(error, loc, locator))
                cuts.add(_prune_point(loc))
            for cut in sorted(
                cuts, key=lambda c: [(0, k, "") if isinstance(k, int) else (1, 0, k) for k in c], reverse=True
            ):
                if len(cut) == 2 and cut[0] == "signals":
                    pruned_signals.add(str(cut[1]))
                if len(cut) == 1:
                    failed.add(str(cut[0]))
                data = _without(data, cut, locator)
    return None, failed, pruned_signals


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
    if isinstance(data, dict) and head in data:
        copy = dict(data)
        if rest:
            copy[head] = _without(copy[head], rest, locator, (*at, head))
        elif head == "model":
            copy[head] = "unnamed"
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


def _schema_problem(error: Any, loc: KeyPath, locator: Locator) -> ModelProblem:
    kind, value = error["type"], error.get("input")
    where = loc[:-1] if kind == "extra_forbidden" else loc
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _fields_at(loc[:-1])
        noun = "section" if len(loc) == 1 else "key"
        hint = did_you_mean(key, allowed)
        listing = f"; allowed: {', '.join(allowed)}" if not hint and allowed else ""
        return locator.problem(loc, f"unknown {noun} '{key}'{hint}{listing}")
    if kind == "missing":
        return locator.problem(where, f"'{loc[-1]}' is required here")
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        hint = did_you_mean(str(value), allowed)
        return locator.problem(loc, f"'{value}' is not allowed for {loc[-1]}{hint}; use one of {', '.join(allowed)}")
    field = loc[-1] if loc else "model"
    return locator.problem(loc, f"{field}: {error['msg'].lower()}, got {value!r}")


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
