"""Reading CSV files as they come from spreadsheets and CRMs (SPEC §3): a row whose field count is not
the header's is a bad row (never a silently shifted one), long fields read, a folder named like a table
is one clear line — and a property: whatever the quoting, line ends, BOM or control characters, every
row is read as written or set aside whole, or the run stops with one line."""

from __future__ import annotations

import datetime as dt
import json
import string
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.data.builders import rows, validate_csv, write_csv
from whynow.data import source
from whynow.data.source import open_source
from whynow.data.validate import validate_source
from whynow.errors import DataError
from whynow.model.load import load_model_text
from whynow.run import open_data, run

ACCOUNTS = "account_id,name,industry,owner_id\n"


# --- ragged rows -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("A2,Acme, Inc,Software,", 'has more fields than the header\'s 4 (extra fields: [""])'),
        ("A2,Acme, Inc,Software,R1", 'has more fields than the header\'s 4 (extra fields: ["R1"])'),
        ("A2,Acme,Software,R1,,,", 'has more fields than the header\'s 4 (extra fields: [""])'),
        ("A2,Acme, Inc,Software,R1,x,y,z,w,v,u,t,s,r", "has more fields than the header's 4"),
        ("A2,Acme", "has 2 field(s), the header 4"),
    ],
    ids=["one-too-many-last-empty", "one-too-many", "trailing-commas", "many-too-many", "too-few"],
)
def test_a_row_whose_field_count_is_not_the_headers_is_a_bad_row_naming_its_line(
    tmp_path: Path, line: str, problem: str
) -> None:
    text = ACCOUNTS + "A1,Beta,Retail,R1\n" + line + "\nA3,Gamma,Retail,R2\n"
    with pytest.raises(DataError) as error:
        validate_csv(tmp_path, accounts=text)
    message = str(error.value)
    assert message.startswith(f"{tmp_path / 'accounts.csv'}: 1 bad row in table accounts: row 2: line 3 {problem}")
    assert "\n" not in message


def test_with_skip_a_ragged_row_is_rejected_whole_and_the_others_are_read_as_written(tmp_path: Path) -> None:
    text = ACCOUNTS + "A1,Beta,Retail,R1\nA2,Acme, Inc,Software,\nA3,Gamma,,R2\n"
    validated = validate_csv(tmp_path, on_bad_rows="skip", accounts=text)
    assert rows(validated.tables["accounts"], "account_id", "name", "industry", "owner_id") == [
        {"account_id": "A1", "name": "Beta", "industry": "Retail", "owner_id": "R1"},
        {"account_id": "A3", "name": "Gamma", "industry": None, "owner_id": "R2"},
    ]
    [rejected] = validated.rejected
    assert (rejected["table"], rejected["row"]) == ("accounts", 2)
    assert rejected["reason"].startswith("line 3 has more fields than the header's 4")
    assert json.loads(str(rejected["values"])) == {
        "account_id": "A2", "name": "Acme", "industry": " Inc", "owner_id": "Software"
    }  # fmt: skip


def test_a_ragged_row_is_found_in_a_file_with_quoted_new_lines(tmp_path: Path) -> None:
    text = ACCOUNTS + 'A1,"Beta\nGroup",Retail,R1\nA2,Acme, Inc,Software,\n'
    validated = validate_csv(tmp_path, on_bad_rows="skip", accounts=text)
    assert rows(validated.tables["accounts"], "account_id", "name") == [{"account_id": "A1", "name": "Beta\nGroup"}]
    assert [r["row"] for r in validated.rejected] == [2]


def test_an_empty_field_is_null_quoted_or_not_and_a_blank_boolean_false(tmp_path: Path) -> None:
    text = 'account_id,name,industry,is_customer\nA1,Acme,,\nA2,Beta,"",""\n'
    validated = validate_csv(tmp_path, accounts=text)
    assert rows(validated.tables["accounts"], "account_id", "industry", "is_customer") == [
        {"account_id": "A1", "industry": None, "is_customer": False},
        {"account_id": "A2", "industry": None, "is_customer": False},
    ]


# --- long fields, folders named like tables ----------------------------------------------------------------


def test_a_field_over_duckdbs_two_megabyte_line_reads(tmp_path: Path) -> None:
    note = "x" * 3_000_000
    write_csv(tmp_path, "accounts", f'account_id,name,notes\nA1,Acme,"{note}"\nA2,Beta,short\n')
    raw = open_source(tmp_path).tables["accounts"]
    assert rows(raw.table, "account_id", "notes") == [
        {"account_id": "A1", "notes": note},
        {"account_id": "A2", "notes": "short"},
    ]


def test_a_line_over_the_longest_whynow_reads_is_one_line_naming_the_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source, "LONG_LINE", 3 * 2**20)  # 64 MB in a release: a smaller file shows the same
    write_csv(tmp_path, "accounts", "account_id,name\nA1,Acme\nA2," + "y" * 4 * 2**20 + "\n")
    with pytest.raises(DataError) as error:
        open_source(tmp_path)
    assert str(error.value) == (
        f"{tmp_path / 'accounts.csv'}: cannot read it as a CSV file: line 3 is longer than 3 MB, the longest "
        "line whynow reads; a field that long is not CRM data: check the file's quoting, or cut the field"
    )


@pytest.mark.parametrize("name", ["reps.csv", "accounts.parquet"])
def test_a_folder_named_like_a_table_is_one_line(tmp_path: Path, name: str) -> None:
    write_csv(tmp_path, "contacts", "contact_id,account_id\nC1,A1\n")
    (tmp_path / name).mkdir()
    table, ext = name.split(".")
    with pytest.raises(DataError) as error:
        open_source(tmp_path)
    assert str(error.value) == (
        f"{tmp_path / name} is a folder, not a file; table {table} must be one {ext} file: rename or move the folder"
    )


def test_a_header_naming_whynows_own_row_number_is_refused(tmp_path: Path) -> None:
    write_csv(tmp_path, "accounts", "account_id,name,_row\nA1,Acme,7\n")
    with pytest.raises(DataError, match=r"the column _row is a name whynow keeps for itself; rename it"):
        open_source(tmp_path)


# --- the property --------------------------------------------------------------------------------------

CONTROL = "".join(chr(c) for c in range(1, 32) if chr(c) not in "\n\r")
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(string.ascii_letters + string.digits + " ,;\"'\n\r\t|=-+@" + CONTROL),
        st.characters(exclude_categories=("Cs",), min_codepoint=128),
    ),
    max_size=12,
)


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[bytes, dict[str, tuple[str | None, str | None]], set[int]]:
    """An accounts.csv as a spreadsheet or CRM might write it, the values each good row holds, and the
    data-row numbers of the rows written ragged (an unquoted comma, a field missing, trailing commas)."""
    count = draw(st.integers(1, 8))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    written, good, ragged = [], {}, set()
    long_row = draw(st.one_of(st.none(), st.integers(1, count)))
    for number in range(1, count + 1):
        name = "L" * 2_100_000 if number == long_row else "N" + draw(TEXT)  # name is required: never blank
        industry = draw(TEXT)
        fields = [f"A{number}", quote(draw, name), quote(draw, industry)]
        shape = draw(st.sampled_from(["ok", "ok", "ok", "extra", "missing", "trailing"]))
        if shape == "extra":
            fields[1] = fields[1] + "," + draw(st.sampled_from(["", "Inc", '"x"']))
        elif shape == "missing":
            fields = fields[:2]
        elif shape == "trailing":
            fields[-1] = fields[-1] + "," * draw(st.integers(1, 3))
        if shape == "ok":
            good[f"A{number}"] = (name or None, industry or None)
        else:
            ragged.add(number)
        written.append(",".join(fields))
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    text = end.join(["account_id,name,industry", *written]) + (end if draw(st.booleans()) else "")
    return bom + text.encode("utf-8"), good, ragged


def quote(draw: st.DrawFn, value: str) -> str:
    """A field as CSV writes it: quoted when it must be, and sometimes when it need not."""
    if any(c in value for c in ',"\n\r') or value[:1].isspace() or draw(st.booleans()):
        return '"' + value.replace('"', '""') + '"'
    return value


MODEL = load_model_text(
    "model: csv-property\nfit:\n  account: [{name: Retail, when: \"industry = 'Retail'\", points: 10}]\n", "m.yaml"
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(csv_files())
def test_every_row_is_read_as_written_or_rejected_whole_or_the_read_stops_with_one_line(
    tmp_path_factory: pytest.TempPathFactory, written: tuple[bytes, dict[str, tuple[str | None, str | None]], set[int]]
) -> None:
    content, good, ragged = written
    folder = tmp_path_factory.mktemp("csv")
    (folder / "accounts.csv").write_bytes(content)
    try:
        validated = open_data(MODEL, str(folder), on_bad_rows="skip")
    except DataError as e:
        assert "\n" not in str(e) and "accounts.csv" in str(e)
        return
    with validated:
        table = validated.tables["accounts"].select("account_id", "name", "industry").to_pyarrow().to_pylist()
        read = {r["account_id"]: (r["name"], r["industry"]) for r in table}
    assert read == good  # no row shifted, none lost
    assert {r["row"] for r in validated.rejected} == ragged
    assert validated.counts["accounts"]["read"] == len(good) + len(ragged)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(csv_files())
def test_a_run_on_any_such_file_succeeds_accounting_for_every_row_or_leaves_the_store_as_it_was(
    tmp_path_factory: pytest.TempPathFactory, written: tuple[bytes, dict[str, tuple[str | None, str | None]], set[int]]
) -> None:
    content, good, ragged = written
    folder = tmp_path_factory.mktemp("run")
    write_csv(folder, "accounts", "account_id,name,industry\nA1,Acme,Retail\n")
    store = folder / "store.duckdb"
    run(MODEL, str(folder), dt.date(2026, 11, 20), store=store)
    (folder / "accounts.csv").write_bytes(content)
    before = snapshot(store)
    for mode in ("error", "skip"):
        try:
            result = run(MODEL, str(folder), dt.date(2026, 11, 27), store=store, on_bad_rows=mode)  # type: ignore[arg-type]
        except DataError as e:
            assert "\n" not in str(e)
            assert snapshot(store) == before
            continue
        assert mode == "skip" or not ragged
        accounts = result.outputs["account_status"].column("account_id").to_pylist()
        assert sorted(accounts) == sorted(good)
        assert result.summary["accounts"]["rejected"] == len(ragged)
        before = snapshot(store)


def snapshot(store: Path) -> list[tuple[object, ...]]:
    with duckdb.connect(str(store), read_only=True) as con:
        return sorted(con.execute("SELECT as_of, account_id, name FROM account_status").fetchall(), key=repr)


def test_a_source_of_only_rejected_accounts_still_runs_with_skip(tmp_path: Path) -> None:
    write_csv(tmp_path, "accounts", ACCOUNTS + "A1,Acme, Inc,Software,\n")
    validated = validate_source(open_source(tmp_path), on_bad_rows="skip")
    assert validated.counts["accounts"] == {"read": 1, "rejected": 1}
