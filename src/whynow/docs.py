"""Reference docs generated from the code's single sources of truth: the model schema, the names each place
of a model can use, the data contract and the output contract.

python -m whynow.docs > docs/model.md      (what `make docs` runs; a test fails when it is stale)
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from whynow.data.contract import OPPORTUNITY_FUTURE_COLUMNS, TABLES
from whynow.model.schema import Model
from whynow.model.scope import ADDED_NAMES, PLACES, SIGNAL_TABLES, place_names, reference_heading, signal_table_names
from whynow.outputs.contract import OUTPUTS


def model_reference() -> str:
    """The model language and the data contract, as Markdown."""
    lines = [
        "# Model and data reference",
        "",
        "Generated from `src/whynow/model/schema.py`, `src/whynow/model/scope.py`, `src/whynow/data/contract.py`",
        "and `src/whynow/outputs/contract.py` by `make docs`; do not edit by hand. The README's",
        "[tour](../README.md#a-short-tour) and [model language in brief](../README.md#the-model-language-in-brief)",
        "show the keys at work.",
        "",
        "## The model file",
        "",
    ]
    lines += _section("", Model, level=3)
    lines += names_reference()
    lines += ["## The data contract", "", "| table | required columns | optional columns |", "|---|---|---|"]
    for table in TABLES.values():
        required = ", ".join(f"{c.name} ({c.type})" for c in table.columns if c.required)
        optional = ", ".join(f"{c.name} ({c.type})" for c in table.columns if not c.required)
        lines.append(f"| {table.name} | {required} | {optional} |")
    lines += ["", "## The outputs", ""]
    lines += ["Written to the store by every run, and with `--out` as files (but the store's own tables).", ""]
    lines += ["| output | columns, in order | then | file |", "|---|---|---|---|"]
    for output in OUTPUTS.values():
        listed = ", ".join(f"{c.name} ({c.type})" for c in output.columns)
        lines.append(f"| {output.name} | {listed} | {output.then or '–'} | {'yes' if output.file else 'no'} |")
    lines += ["", "Column notes:", ""]
    for output in OUTPUTS.values():
        lines += [f"* `{output.name}`: {output.doc}"]
        lines += [f"  * `{c.name}`: {c.doc}" for c in output.columns if c.doc]
    return "\n".join(lines) + "\n"


def names_reference() -> list[str]:
    """Every place a condition or template appears, with the names it can use: type and meaning."""
    lines = [
        "## Names a condition can use",
        "",
        "A condition (`when`, `where`, `rank_by`) or a narrative's `{placeholder}` may name only what the place",
        "it is in can use: built-in measures, the canonical columns of its table, and what the model adds (the",
        "columns it declares under `columns:`, its `signals:`, an `engaged_<role>` per committee role).",
        "`whynow check` calls any other name unknown, with the closest legal ones and a link to its place below.",
        "",
        "Terms: the *as-of date* is the day a run scores (`--as-of`); the *lookback* is",
        "`engagement.lookback_days` before it; an *engaging* activity matches an engagement rule with positive",
        "points; a contact is *engaged* with an engaging activity within `buying_committee.engaged_within_days`.",
        "A NULL value makes a comparison false, so a rule on a missing value does not match.",
        "",
    ]
    for place in PLACES:
        names = place_names(place, {}, {}, {}, [])
        added = [ADDED_NAMES[part] for part in place.parts if part in ADDED_NAMES]
        lines += [f"### {reference_heading(place.title)}", "", f"Used in {place.keys}.", ""]
        lines += _names_table(names, added)
    for table in SIGNAL_TABLES:
        spec = TABLES[table]
        lines += [f"### {reference_heading(f'signals from {table}')}", ""]
        lines += [f"Used in the `where` of a signal with `from: {table}`; its window is on `{spec.time_column}`.", ""]
        if table == "opportunities":
            hidden = ", ".join(f"`{c}`" for c in OPPORTUNITY_FUTURE_COLUMNS)
            lines += [
                f"{hidden} are not allowed here: as exported today they tell what the deal became after the",
                "as-of date. `open` and `won` tell what it was at the as-of date, so backtests stay honest.",
                "",
            ]
        lines += _names_table(signal_table_names(table, {}), [ADDED_NAMES[table]])
    return lines


def _names_table(names: dict[str, tuple[Any, str]], added: list[tuple[str, str, str]]) -> list[str]:
    rows = [f"| `{name}` | {kind} | {_cell(meaning)} |" for name, (kind, meaning) in names.items()]
    rows += [f"| {name} | {kind} | {_cell(meaning)} |" for name, kind, meaning in added]
    return ["| name | type | meaning |", "|---|---|---|", *rows, ""]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")  # a bar would end the table's cell


def _section(prefix: str, cls: type[BaseModel], level: int) -> Iterator[str]:
    nested: list[tuple[str, type[BaseModel]]] = []
    yield f"{'#' * level} `{prefix or 'top level'}`"
    yield ""
    if cls.__doc__ and prefix:
        yield (cls.__doc__.strip().splitlines() or [""])[0]
        yield ""
    yield "| key | type | default | meaning |"
    yield "|---|---|---|---|"
    for name, info in cls.model_fields.items():
        key = info.alias or name
        described = (info.description or "").replace("|", "\\|")  # a bar would end the table's cell
        yield f"| `{key}` | {_type_name(info.annotation)} | {_default(info)} | {described} |"
        inner = _model_in(info.annotation)
        if inner is not None:
            nested.append((f"{prefix}.{key}" if prefix else key, inner))
    yield ""
    for path, inner in nested:
        yield from _section(path, inner, level)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is typing.Literal:
        return " \\| ".join(str(a) for a in args)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_type_name(a) for a in args if a is not type(None)) + " (optional)"
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        value = _type_name(args[1])
        return f"{_type_name(args[0])} → " + (f"({value})" if typing.get_origin(args[1]) is dict else value)
    return {str: "text", int: "integer", float: "number", bool: "boolean"}.get(annotation, str(annotation))


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "(see below)"
    if isinstance(value, list) and value and isinstance(value[0], BaseModel):
        return "; ".join(_item(item) for item in value)
    return f"`{value!r}`" if value not in (None, "", [], {}) else "none"


def _item(item: BaseModel) -> str:
    """One entry of a list default: its first value, then the rest as code (`post_sale: `is_customer``)."""
    head, *rest = (v for v in item.model_dump().values() if v is not None)
    return f"{head}: `{', '.join(map(str, rest))}`" if rest else str(head)


if __name__ == "__main__":
    print(model_reference(), end="")
