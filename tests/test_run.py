"""The first step of a run: the model's declared columns against the data (SPEC §4.1)."""

from __future__ import annotations

import pytest

from tests.data.builders import write_csv
from whynow.data.source import open_source
from whynow.errors import DataError
from whynow.model.load import load_model_text
from whynow.run import check_declared_columns

ACCOUNTS = "account_id,name\nA1,Acme\n"

SEGMENT_MODEL = "model: t\ncolumns:\n  accounts:\n    segment: text\n"


def test_a_declared_column_in_the_data_passes(tmp_path):
    write_csv(tmp_path, "accounts", "account_id,name,segment\nA1,Acme,Enterprise\n")
    model = load_model_text(SEGMENT_MODEL, "model.yaml")
    assert check_declared_columns(model, open_source(tmp_path)) is None


def test_a_declared_column_missing_from_the_data_names_the_column_and_the_file(tmp_path):
    write_csv(tmp_path, "accounts", "account_id,name,tier\nA1,Acme,1\n")
    model = load_model_text(SEGMENT_MODEL, "model.yaml")
    with pytest.raises(DataError) as error:
        check_declared_columns(model, open_source(tmp_path))
    message = str(error.value)
    assert message.startswith("model.yaml:4: the model declares accounts.segment")
    assert "accounts.csv has no column 'segment'" in message


def test_a_declared_column_missing_from_the_data_hints_at_a_near_miss(tmp_path):
    write_csv(tmp_path, "accounts", "account_id,name,Segment\nA1,Acme,SMB\n")
    model = load_model_text(SEGMENT_MODEL, "model.yaml")
    with pytest.raises(DataError, match="did you mean 'Segment'"):
        check_declared_columns(model, open_source(tmp_path))


PERSONA_MODEL = "model: t\ncolumns:\n  contacts:\n    persona: text\n"


def test_a_declared_column_of_a_table_absent_from_the_source_names_the_table_and_the_folder(tmp_path):
    write_csv(tmp_path, "accounts", ACCOUNTS)
    model = load_model_text(PERSONA_MODEL, "model.yaml")
    with pytest.raises(DataError) as error:
        check_declared_columns(model, open_source(tmp_path))
    message = str(error.value)
    assert message.startswith("model.yaml:4: the model declares contacts.persona")
    assert f"{tmp_path} has no contacts table" in message
