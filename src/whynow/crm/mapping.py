"""The mapping file of `whynow import` (SPEC §11): which CRM field becomes which whynow column.

A mapping is YAML, one section per CRM object (`Account`, `Lead`, `companies` …):

    Account:
      columns:                 # CRM field: whynow column (field names in any letter case)
        Tier__c: tier          # a custom field renamed to a contract column
        Segment__c: segment    # any other name is an extra column, passed through as text
        Website: null          # null: do not read this field (one the built-in mapping reads)
        CloseDate: [closed_at, created_at]   # one field may feed several columns
      values:                  # whynow column: {CRM value: whynow value}; * and ? match any text,
        is_customer: {"Customer*": true, "*": false}   # any letter case; the first match wins
      defaults:                # whynow column: the value where the fields are empty or absent
        region: EMEA
    Opportunity:
      stages:                  # the stage names that close a deal, where the export has no IsClosed/IsWon
        won: ["Closed Won"]
        lost: ["Closed Lost"]

Several fields may feed one column: the first that is filled wins, in the order written. A user's
mapping is laid over the built-in one (`whynow import --print-mapping` prints it): its fields come
first, its values and defaults win, its `stages.won` / `stages.lost` replace the built-in lists.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping as AbstractMapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from whynow.data.contract import TABLES, ColumnType, canonical_type
from whynow.errors import DataError, did_you_mean

Scalar = str | bool | int | float
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")  # a leading _ is whynow's own (`_row`)
KeyPath = tuple[str | int, ...]


class Stages(BaseModel):
    """Stage names (glob patterns, any letter case) that close a deal as won or as lost."""

    model_config = ConfigDict(extra="forbid")
    won: list[str] | None = None  # None: as the mapping underneath says
    lost: list[str] | None = None


class ObjectMapping(BaseModel):
    """How one CRM object's fields become whynow columns."""

    model_config = ConfigDict(extra="forbid")
    columns: dict[str, str | list[str] | None] = Field(default_factory=dict)
    values: dict[str, dict[str, Scalar]] = Field(default_factory=dict)
    defaults: dict[str, Scalar] = Field(default_factory=dict)
    stages: Stages | None = None

    def fields_of(self, column: str) -> list[str]:
        """The CRM fields that feed `column`, first choice first."""
        return [field for field, target in self.columns.items() if column in _listed(target)]

    def targets(self) -> list[str]:
        """Every column this object produces, in the order first named."""
        named = [one for target in self.columns.values() for one in _listed(target)]
        return list(dict.fromkeys([*named, *self.defaults]))


@dataclass(frozen=True)
class ObjectSpec:
    """What an importer does with one CRM object: the table it feeds and the columns it needs beyond the
    contract's (a lead's company, for placing it; these are not written)."""

    table: str | None  # None: read only to look values up (Campaign)
    extra: AbstractMapping[str, ColumnType]
    description: str

    def column_type(self, column: str) -> ColumnType:
        if column in self.extra:
            return self.extra[column]
        if self.table is not None and TABLES[self.table].column(column) is not None:
            return canonical_type(column)
        return "text"


CrmMapping = dict[str, ObjectMapping]


def builtin_text(crm: str) -> str:
    """The built-in mapping of a CRM, as the YAML file that ships with whynow (comments included)."""
    return resources.files("whynow.crm").joinpath(f"{crm}.yaml").read_text(encoding="utf-8")


def builtin(crm: str, objects: AbstractMapping[str, ObjectSpec]) -> CrmMapping:
    return parse(builtin_text(crm), f"built-in {crm} mapping", objects)


def load(path: Path, objects: AbstractMapping[str, ObjectSpec]) -> CrmMapping:
    """A user's mapping file, checked against the CRM's objects; a `DataError` with file and line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"mapping file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"mapping file {path} cannot be read as UTF-8 text ({e})") from None
    return parse(text, str(path), objects)


def parse(text: str, file: str, objects: AbstractMapping[str, ObjectSpec]) -> CrmMapping:
    try:
        data = YAML(typ="rt").load(text)
    except YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark is not None else file
        raise DataError(f"{where}: YAML syntax error: {getattr(e, 'problem', e)}") from None
    if data is None:
        return {}
    lines: dict[KeyPath, int] = {}
    plain = _plain(data, (), lines)
    if not isinstance(plain, dict):
        raise DataError(f"{file}:1: a mapping is a YAML mapping of CRM objects (e.g. Account:, Lead:)")
    problems: list[str] = []
    out: CrmMapping = {}
    known = {name.lower(): name for name in objects}
    for key, section in plain.items():
        name = known.get(str(key).lower())
        if name is None:
            hint = did_you_mean(str(key), objects)
            listing = "" if hint else f"; the objects are {', '.join(objects)}"
            problems.append(f"{_at(file, lines, (key,))}: unknown object '{key}'{hint}{listing}")
            continue
        try:
            mapping = ObjectMapping.model_validate(section if section is not None else {})
        except ValidationError as e:
            for error in e.errors():
                loc = (key, *error["loc"])
                problems.append(f"{_at(file, lines, loc)}: {name}: {_schema_message(error, loc)}")
            continue
        problems += [f"{_at(file, lines, loc)}: {name}: {msg}" for loc, msg in _check(key, mapping, objects[name])]
        out[name] = mapping
    if problems:
        raise DataError("\n".join(problems))
    return out


def merge(base: CrmMapping, over: CrmMapping) -> CrmMapping:
    """`over` laid on `base`: its fields first (a null drops a field), its values and defaults winning."""
    out: CrmMapping = {}
    for name in dict.fromkeys([*base, *over]):
        b, o = base.get(name, ObjectMapping()), over.get(name, ObjectMapping())
        folded = {field.lower() for field in o.columns}
        columns = {f: t for f, t in o.columns.items() if t is not None}
        columns.update({f: t for f, t in b.columns.items() if f.lower() not in folded and t is not None})
        values = {
            c: {**o.values.get(c, {}), **{k: v for k, v in m.items() if k not in o.values.get(c, {})}}
            for c, m in b.values.items()
        }
        values.update({c: m for c, m in o.values.items() if c not in values})
        out[name] = ObjectMapping(
            columns=columns,
            values=values,
            defaults={**b.defaults, **o.defaults},
            stages=_stages(b.stages, o.stages),
        )
    return out


def _stages(base: Stages | None, over: Stages | None) -> Stages | None:
    """A user's `won` or `lost` replaces that list only; the other stays as the built-in mapping says."""
    if over is None or base is None:
        return over or base
    return Stages(
        won=over.won if over.won is not None else base.won, lost=over.lost if over.lost is not None else base.lost
    )


def dump(mapping: CrmMapping) -> str:
    """A mapping as YAML text (the report shows the one an import used)."""
    import io

    plain = {name: m.model_dump(exclude_defaults=True) for name, m in mapping.items()}
    buffer = io.StringIO()
    yaml = YAML()  # round-trip: keys keep their order
    yaml.default_flow_style = False
    yaml.dump(plain, buffer)
    return buffer.getvalue()


_SPECIAL = set("\\.+()[]{}|^$")  # RE2's metacharacters (* and ? are the pattern's own)


def glob_regex(pattern: str) -> str:
    """A value pattern as an RE2 expression: `*` any text, `?` one character, any letter case.

    >>> glob_regex("Customer*")
    '(?i)^Customer.*$'
    >>> glob_regex("Closed (won)")
    '(?i)^Closed \\\\(won\\\\)$'
    """
    body = "".join(".*" if c == "*" else "." if c == "?" else "\\" + c if c in _SPECIAL else c for c in pattern)
    return f"(?i)^{body}$"


def value_text(value: Scalar) -> str:
    """A mapping's value as the text a CSV cell would hold (`true`, `12`, `EMEA`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check(key: str, mapping: ObjectMapping, spec: ObjectSpec) -> list[tuple[KeyPath, str]]:
    problems: list[tuple[KeyPath, str]] = []
    for field, target in mapping.columns.items():
        for one in _listed(target):
            if not _NAME.match(one):
                problems.append(
                    (
                        (key, "columns", field),
                        f"'{one}' is not a column name; start with a letter; use lower case, digits and _",
                    )
                )
    produced = set(mapping.targets())
    for section in ("values", "defaults"):
        for column, value in getattr(mapping, section).items():
            if section == "values" and column not in produced:
                problems.append(((key, section, column), f"values for '{column}', which no field in columns feeds"))
                continue
            kind = spec.column_type(column)
            shown = value.values() if isinstance(value, dict) else [value]
            for one in shown:
                if not _reads_as(one, kind):
                    problems.append(((key, section, column), f"{one!r} is not {_WORDS[kind]}, as {column} must be"))
    return problems


_WORDS: dict[ColumnType, str] = {
    "text": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "date": "a date (2026-11-20)",
    "timestamp": "a timestamp (2026-11-20 14:05:00)",
}


def _reads_as(value: Scalar, kind: ColumnType) -> bool:
    """Whether a value written in a mapping reads as a contract type (checked once, at load)."""
    if kind == "text":
        return not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    try:
        datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def _listed(target: str | list[str] | None) -> list[str]:
    """The columns one field feeds: none, one, or a list (`CloseDate: [closed_at, created_at]`)."""
    if target is None:
        return []
    return [target] if isinstance(target, str) else list(target)


def _plain(node: Any, path: KeyPath, lines: dict[KeyPath, int]) -> Any:
    """ruamel's round-trip nodes as plain values (keys as text), recording the line of every key."""
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            name = str(key) if not isinstance(key, bool) else value_text(key)
            line = node.lc.key(key)[0] + 1 if node.lc.data and key in node.lc.data else None
            if line is not None:
                lines[(*path, name)] = line
            out[name] = _plain(value, (*path, name), lines)
        return out
    if isinstance(node, CommentedSeq):
        return [_plain(v, (*path, i), lines) for i, v in enumerate(node)]
    return node


def _at(file: str, lines: dict[KeyPath, int], loc: KeyPath) -> str:
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return f"{file}:{lines[loc[:end]]}"
    return file


def _schema_message(error: Any, loc: KeyPath) -> str:
    kind, key = error["type"], str(loc[-1])
    if kind == "extra_forbidden":
        allowed = list(ObjectMapping.model_fields) if len(loc) == 2 else list(Stages.model_fields)
        return f"unknown key '{key}'{did_you_mean(key, allowed)}; allowed: {', '.join(allowed)}"
    if kind in ("dict_type", "model_type"):
        return f"{key} must be a mapping (key: value lines), not {error.get('input')!r}"
    if kind == "list_type":
        return f'{key} must be a list, e.g. ["Closed Won"]'
    return f"{key}: {error['msg'].lower()}"
