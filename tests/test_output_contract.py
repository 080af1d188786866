"""The output contract (`outputs/contract.py`, SPEC §5): every table a run writes, in the store and in
`--out` files, has the contract's columns in its order, with its types, for the model that ran."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from whynow.demo import DEMO_AS_OF, generate_demo_data
from whynow.examples import reference_model_path
from whynow.model.load import load_model
from whynow.outputs.contract import OUTPUTS, arrow_schema, columns
from whynow.run import run

DUCKDB_TYPES = {"text": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE",
                "timestamp": "TIMESTAMP WITH TIME ZONE"}  # fmt: skip


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("contract")
    generate_demo_data(folder / "data", as_of=DEMO_AS_OF, accounts=10, fmt="csv")
    accounts = folder / "data" / "accounts.csv"
    header = accounts.read_text(encoding="utf-8").splitlines()[0].split(",")
    bad = {"account_id": "A-bad", "name": "Broken Co", "employees": "many"}  # set aside by --on-bad-rows skip
    with accounts.open("a", encoding="utf-8") as f:
        f.write(",".join(bad.get(column, "") for column in header) + "\n")
    model = load_model(reference_model_path())
    for as_of in (DEMO_AS_OF - dt.timedelta(weeks=1), DEMO_AS_OF):
        run(model, str(folder / "data"), as_of, store=folder / "store.duckdb", out=folder / "out", on_bad_rows="skip")
    return folder, model


def test_the_store_holds_every_output_as_the_contract_names_it(ran: tuple[Path, object]) -> None:
    folder, model = ran
    with duckdb.connect(str(folder / "store.duckdb"), read_only=True) as con:
        for name in OUTPUTS:
            described = con.sql(f'DESCRIBE "{name}"').fetchall()
            expected = [(c.name, DUCKDB_TYPES[c.type]) for c in columns(model, name)]  # type: ignore[arg-type]
            assert [(row[0], row[1]) for row in described] == expected, name


def test_the_files_hold_what_the_contract_says_and_no_state(ran: tuple[Path, object]) -> None:
    folder, model = ran
    written = {p.stem for p in (folder / "out").glob("*.parquet")}
    assert written == {name for name, output in OUTPUTS.items() if output.file}
    for name in written:
        schema = arrow_schema(model, name)  # type: ignore[arg-type]
        if name == "rejected":  # the file is the rows as read, without the run's date
            schema = schema.remove(schema.get_field_index("as_of"))
        assert pq.read_schema(folder / "out" / f"{name}.parquet").remove_metadata() == schema, name


def test_the_contract_follows_the_model(ran: tuple[Path, object]) -> None:
    _, model = ran
    names = [c.name for c in columns(model, "account_status")]  # type: ignore[arg-type]
    assert names[: len(OUTPUTS["account_status"].columns)] == [c.name for c in OUTPUTS["account_status"].columns]
    assert "engaged_champion" in names and "funding_round" in names  # a role, an account signal
    assert "person_competitor_research" in [c.name for c in columns(model, "contact_status")]  # type: ignore[arg-type]
    assert "activities_rejected" in [c.name for c in columns(model, "runs")]  # type: ignore[arg-type]
