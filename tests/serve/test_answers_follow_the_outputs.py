"""The dashboard's answers (`serve/schemas.py`) that show rows of a run's outputs give every output column
they carry the type the output contract (`outputs/contract.py`) gives it: a column retyped in one place
and not the other fails here, before an API client sees a string where a number was."""

from __future__ import annotations

import datetime as dt
import types
import typing
from typing import Any

import pytest
from pydantic import BaseModel

from whynow.outputs.contract import OUTPUTS
from whynow.serve import schemas as s

PYTHON = {"text": str, "integer": int, "number": float, "boolean": bool, "date": dt.date, "timestamp": dt.datetime}
ROWS: dict[type[BaseModel], str] = {  # an answer, and the output whose rows it shows
    s.AccountRow: "account_status",
    s.QueueItem: "account_status",
    s.HistoryPoint: "account_status",
    s.ContactBadge: "contact_status",
    s.Person: "contact_status",
    s.CallEntry: "call_list",
    s.Change: "changes",
    s.Evidence: "evidence",
    s.RuleRow: "score_breakdown",
}


def _python_type(annotation: Any) -> type:
    """The type a field holds, NULL aside; a Literal of text is text."""
    if typing.get_origin(annotation) is typing.Literal:
        return type(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (types.UnionType, typing.Union):
        (inner,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _python_type(inner)
    return typing.cast(type, annotation)


@pytest.mark.parametrize("answer", list(ROWS), ids=lambda a: a.__name__)
def test_an_answer_types_each_output_column_as_the_contract_does(answer: type[BaseModel]) -> None:
    contract = {c.name: c.type for c in OUTPUTS[ROWS[answer]].columns}
    shared = [name for name in answer.model_fields if name in contract]
    assert shared, f"{answer.__name__} shows no column of {ROWS[answer]}"
    for name in shared:
        found = _python_type(answer.model_fields[name].annotation)
        assert found is PYTHON[contract[name]], f"{answer.__name__}.{name}: {found} vs {contract[name]}"
