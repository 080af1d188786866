"""`whynow import salesforce` against a hand-written DuckDB script on the same export (issue #10).

    python bench/crm.py                         # 1M and 10M tasks
    python bench/crm.py --activities 1_000_000

The export is made from bench/generate.py's data (cached under bench/.data/): Account, Contact, Lead (a
tenth of the people, unconverted, placed by their email's domain or their company's name), Task (every
activity, WhoId the person's 15-character id), Opportunity and User, as Data Loader CSV files: 15-character
ids, `…T16:14:25.000+0000` datetimes, ISO dates, booleans `1`/empty. Each command runs in its own process:

* whynow: `whynow import salesforce EXPORT --out DIR` (the built-in mapping, the report, the checks);
* hand: `bench/crm.py --hand EXPORT DIR`, one DuckDB script that does the same work and no more: types,
  18-character ids, websites to domains, leads placed, tasks' people repointed, CSV files written.

agree: both wrote the same tables with the same rows (compared as sorted text). Results go to
bench/crm-results.md with the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb

if __package__ in (None, ""):  # run as a script: import `bench` from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench import DATA, Measure, ensure_data, label, load_average, machine, measure
from bench.generate import AS_OF

RESULTS = Path(__file__).resolve().parent / "crm-results.md"
TABLES = ("accounts", "contacts", "activities", "opportunities", "reps")


def _sf(prefix: str, column: str) -> str:
    """A contract id (`A00123`) as a 15-character Salesforce id of the object's key prefix."""
    return f"'{prefix}' || lpad(regexp_replace({column}, '[^0-9]', '', 'g'), 12, '0')"


_STAMP = "strftime({0}, '%Y-%m-%dT%H:%M:%S.000+0000')"

EXPORT = {
    "Account": f"""SELECT {_sf("001", "account_id")} AS Id, name AS Name, 'www.' || domain AS Website,
        industry AS Industry, employees AS NumberOfEmployees, annual_revenue AS AnnualRevenue,
        country AS BillingCountry, {_sf("005", "owner_id")} AS OwnerId,
        CASE WHEN is_customer THEN 'Customer - Direct' ELSE 'Prospect' END AS Type
        FROM read_parquet($data || '/accounts.parquet')""",
    "Contact": f"""SELECT {_sf("003", "contact_id")} AS Id, {_sf("001", "account_id")} AS AccountId,
        first_name AS FirstName, last_name AS LastName, email AS Email, title AS Title, department AS Department,
        {_STAMP.format("created_at")} AS CreatedDate, CASE WHEN unsubscribed THEN '1' END AS HasOptedOutOfEmail
        FROM read_parquet($data || '/contacts.parquet') WHERE hash(contact_id) % 10 <> 0""",
    "Lead": f"""SELECT {_sf("00Q", "c.contact_id")} AS Id, c.first_name AS FirstName, c.last_name AS LastName,
        CASE WHEN hash(c.contact_id) % 20 = 0 THEN c.first_name || '@example.org' ELSE c.email END AS Email,
        c.title AS Title, a.name AS Company, {_STAMP.format("c.created_at")} AS CreatedDate, NULL AS IsConverted
        FROM read_parquet($data || '/contacts.parquet') c
        LEFT JOIN read_parquet($data || '/accounts.parquet') a USING (account_id) WHERE hash(c.contact_id) % 10 = 0""",
    "Task": f"""SELECT {_sf("00T", "activity_id")} AS Id,
        CASE WHEN contact_id IS NULL THEN NULL WHEN hash(contact_id) % 10 = 0 THEN {_sf("00Q", "contact_id")}
             ELSE {_sf("003", "contact_id")} END AS WhoId,
        CASE WHEN account_id IS NOT NULL THEN {_sf("001", "account_id")} END AS AccountId,
        strftime(occurred_at, '%Y-%m-%d') AS ActivityDate, {_STAMP.format("occurred_at")} AS CreatedDate,
        CASE WHEN type LIKE 'email%' THEN 'Email' WHEN type = 'meeting_booked' THEN 'Meeting' ELSE 'Call' END AS Type,
        coalesce(topic, asset, type) AS Subject
        FROM read_parquet($data || '/activities.parquet')""",
    "Opportunity": f"""SELECT {_sf("006", "opportunity_id")} AS Id, {_sf("001", "account_id")} AS AccountId,
        {_STAMP.format("created_at")} AS CreatedDate, strftime(closed_at, '%Y-%m-%d') AS CloseDate, stage AS StageName,
        amount AS Amount, CASE WHEN is_closed THEN '1' END AS IsClosed, CASE WHEN is_won THEN '1' END AS IsWon,
        type AS Type, {_sf("005", "owner_id")} AS OwnerId
        FROM read_parquet($data || '/opportunities.parquet')""",
    "User": f"""SELECT {_sf("005", "rep_id")} AS Id, name AS Name, email AS Email, role AS Title, team AS Department
        FROM read_parquet($data || '/reps.parquet')""",
}


def make_export(data: Path, out: Path) -> dict[str, int]:
    """The Salesforce export of one scale's data, as Data Loader CSV files; rows per object."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    rows = {}
    for obj, query in EXPORT.items():
        relation = con.sql(query, params={"data": str(data)})
        relation.write_csv(str(out / f"{obj}.csv"))
        rows[obj] = int(con.sql(f"SELECT count(*) FROM read_csv('{out / obj}.csv', all_varchar = true)").fetchone()[0])
    return rows


# The hand-written import: the same readings as whynow's built-in mapping, written straight in DuckDB SQL.
_ID18 = """CASE WHEN regexp_matches({0}, '^[a-zA-Z0-9]{{15}}$') THEN {0} ||
  substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ012345', 1 + {1}, 1) || substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ012345', 1 + {2}, 1) ||
  substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ012345', 1 + {3}, 1) ELSE {0} END"""


def _id18(column: str) -> str:
    chunks = []
    for chunk in range(3):
        bits = [
            f"(CASE WHEN substr({column}, {chunk * 5 + i + 1}, 1) BETWEEN 'A' AND 'Z' THEN {1 << i} ELSE 0 END)"
            for i in range(5)
        ]
        chunks.append("(" + " + ".join(bits) + ")")
    return _ID18.format(column, *chunks)


_TS = "CAST(nullif(trim({0}), '') AS TIMESTAMPTZ)"
_BOOL = "coalesce(lower(trim({0})) IN ('1', 'true', 't', 'yes', 'y'), false)"
_DOMAIN = (
    "nullif(regexp_replace(regexp_replace(regexp_replace(lower(trim({0})), '^[a-z][a-z0-9+.-]*://', ''), "
    "'[/?#:].*$', ''), '^www\\.', ''), '')"
)


def hand_import(export: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for obj in EXPORT:
        con.execute(
            f"CREATE TABLE raw_{obj} AS SELECT * FROM read_csv(?, all_varchar = true, header = true)",
            [str(export / f"{obj}.csv")],
        )
    con.execute(f"""CREATE TABLE accounts AS SELECT {_id18("Id")} AS account_id, Name AS name,
        {_DOMAIN.format("Website")} AS domain, Industry AS industry, CAST(NumberOfEmployees AS BIGINT) AS employees,
        CAST(AnnualRevenue AS DOUBLE) AS annual_revenue, BillingCountry AS country, {_id18("OwnerId")} AS owner_id,
        coalesce(Type ILIKE 'Customer%', false) AS is_customer
        FROM raw_Account WHERE Id IS NOT NULL AND Name IS NOT NULL""")
    con.execute(f"""CREATE TABLE people AS
        SELECT {_id18("Id")} AS contact_id, {_id18("AccountId")} AS account_id, FirstName AS first_name,
          LastName AS last_name, Email AS email, Title AS title, Department AS department,
          {_TS.format("CreatedDate")} AS created_at, {_BOOL.format("HasOptedOutOfEmail")} AS unsubscribed,
          NULL AS company FROM raw_Contact
        UNION ALL
        SELECT {_id18("Id")}, NULL, FirstName, LastName, Email, Title, NULL, {_TS.format("CreatedDate")}, false,
          Company FROM raw_Lead""")
    con.execute("""CREATE TABLE contacts AS
        WITH domains AS (SELECT domain, min(account_id) AS id FROM accounts WHERE domain IS NOT NULL GROUP BY domain),
             names AS (SELECT lower(trim(name)) AS k, min(account_id) AS id FROM accounts GROUP BY k)
        SELECT p.contact_id, coalesce(p.account_id, d.id, n.id, a.account_id) AS account_id, p.first_name, p.last_name,
               p.email, p.title, p.department, p.created_at, p.unsubscribed
        FROM people p
        LEFT JOIN domains d ON d.domain = nullif(regexp_extract(lower(trim(p.email)), '@([^@]*)$', 1), '')
        LEFT JOIN names n ON p.company IS NOT NULL AND n.k = lower(trim(p.company))
        LEFT JOIN accounts a ON a.account_id = p.company
        WHERE coalesce(p.account_id, d.id, n.id, a.account_id) IS NOT NULL""")
    con.execute(f"""CREATE TABLE activities AS
        WITH t AS (SELECT {_id18("Id")} AS activity_id,
                     coalesce({_TS.format("ActivityDate")}, {_TS.format("CreatedDate")}) AS occurred_at,
                     lower(coalesce(CASE Type WHEN 'Email' THEN 'email' WHEN 'Call' THEN 'call'
                       WHEN 'Meeting' THEN 'meeting' ELSE Type END, 'task')) AS type,
                     {_id18("WhoId")} AS who, {_id18("AccountId")} AS account_id, Subject AS topic FROM raw_Task),
             known AS (SELECT contact_id FROM people)
        SELECT t.activity_id, t.occurred_at, t.type,
               CASE WHEN k.contact_id IS NULL THEN t.who WHEN c.contact_id IS NULL THEN NULL ELSE t.who END
                 AS contact_id,
               t.account_id, t.topic
        FROM t LEFT JOIN known k ON k.contact_id = t.who LEFT JOIN contacts c ON c.contact_id = t.who
        WHERE t.activity_id IS NOT NULL AND t.occurred_at IS NOT NULL
          AND coalesce(CASE WHEN k.contact_id IS NULL THEN t.who WHEN c.contact_id IS NULL THEN NULL ELSE t.who END,
                       t.account_id) IS NOT NULL""")
    con.execute(f"""CREATE TABLE opportunities AS SELECT {_id18("Id")} AS opportunity_id,
        {_id18("AccountId")} AS account_id, {_TS.format("CreatedDate")} AS created_at,
        CASE WHEN {_BOOL.format("IsClosed")} THEN {_TS.format("CloseDate")} END AS closed_at, StageName AS stage,
        CAST(Amount AS DOUBLE) AS amount, {_BOOL.format("IsClosed")} AS is_closed, {_BOOL.format("IsWon")} AS is_won,
        Type AS type, {_id18("OwnerId")} AS owner_id FROM raw_Opportunity
        WHERE Id IS NOT NULL AND AccountId IS NOT NULL AND CreatedDate IS NOT NULL""")
    con.execute(f"""CREATE TABLE reps AS SELECT {_id18("Id")} AS rep_id, Name AS name, Email AS email,
        Title AS role, Department AS team FROM raw_User""")
    for table in TABLES:
        con.execute(f"COPY (SELECT * FROM {table} ORDER BY 1) TO ?", [str(out / f"{table}.csv")])


def _fingerprint(folder: Path, table: str, columns: Sequence[str]) -> tuple[int, str]:
    """Rows and a hash of the sorted rows of the columns both write, as text."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    path = str(folder / f"{table}.csv")
    # timestamps as instants, numbers as doubles, booleans and text as written: the two writers format alike
    found = con.execute(
        f"SELECT count(*), sum(hash(concat_ws('|', {', '.join(columns)}))) FROM read_csv(?, header = true)", [path]
    ).fetchone()
    return int(found[0]), str(found[1])


_COMPARED = {
    "accounts": [
        "account_id",
        "name",
        "domain",
        "industry",
        "employees",
        "annual_revenue",
        "country",
        "owner_id",
        "is_customer",
    ],
    "contacts": ["contact_id", "account_id", "first_name", "last_name", "email", "title", "created_at"],
    "activities": ["activity_id", "occurred_at", "type", "contact_id", "account_id", "topic"],
    "opportunities": [
        "opportunity_id",
        "account_id",
        "created_at",
        "closed_at",
        "stage",
        "amount",
        "is_closed",
        "is_won",
    ],
    "reps": ["rep_id", "name", "email", "role", "team"],
}


def agree(whynow: Path, hand: Path) -> bool:
    return all(_fingerprint(whynow, t, c) == _fingerprint(hand, t, c) for t, c in _COMPARED.items())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--activities", type=int, action="append")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hand", nargs=2, metavar=("EXPORT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.hand:
        hand_import(Path(args.hand[0]), Path(args.hand[1]))
        return 0
    rows_out = []
    load_before = load_average()
    for activities in args.activities or [1_000_000, 10_000_000]:
        folder = DATA / f"{activities}-seed{args.seed}-{AS_OF.isoformat()}"
        ensure_data(folder, activities, args.seed, AS_OF)
        with tempfile.TemporaryDirectory(prefix="whynow-bench-crm-") as work:
            export = Path(work) / "export"
            started = time.perf_counter()
            objects = make_export(folder, export)
            made = time.perf_counter() - started
            mine = measure(
                [sys.executable, "-m", "whynow", "import", "salesforce", str(export), "--out", str(Path(work) / "w")],
                Path(work) / "whynow.log",
            )
            hand = measure(
                [sys.executable, str(Path(__file__).resolve()), "--hand", str(export), str(Path(work) / "h")],
                Path(work) / "hand.log",
            )
            same = agree(Path(work) / "w", Path(work) / "h")
            mb = sum(f.stat().st_size for f in export.iterdir()) / 1e6
            rows_out.append((label(activities), sum(objects.values()), mb, made, mine, hand, same))
            print(f"{label(activities)}: whynow {mine.wall:.2f} s, hand {hand.wall:.2f} s, agree {same}", flush=True)
    RESULTS.write_text(_markdown(rows_out, load_before, load_average()), encoding="utf-8")
    print(f"wrote {RESULTS}")
    return 0


def _markdown(rows: list[tuple[str, int, float, float, Measure, Measure, bool]], before: float, after: float) -> str:
    lines = [
        "# whynow import salesforce against a hand-written DuckDB import",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by bench/crm.py on: {machine()}.",
        f"1-minute load average {before:.2f} at the start, {after:.2f} at the end.",
        "",
        "| scale | rows exported | CSV MB | whynow wall s | whynow CPU s | whynow peak MB | hand wall s | hand CPU s "
        "| hand peak MB | ratio (wall) | agree |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for scale, exported, mb, _, mine, hand, same in rows:
        lines.append(
            f"| {scale} | {exported:,} | {mb:,.0f} | {mine.wall:.2f} | {mine.cpu:.2f} | {mine.peak_mb:,.0f} | "
            f"{hand.wall:.2f} | {hand.cpu:.2f} | {hand.peak_mb:,.0f} | {mine.wall / hand.wall:.1f}× | "
            f"{'yes' if same else 'NO'} |"
        )
    lines += [
        "",
        "* Export: bench/generate.py's data (seed 7) as Salesforce Data Loader CSV: Account, Contact (nine in ten",
        "  people), Lead (one in ten, unconverted, placed by email domain or company name), Task (every activity),",
        "  Opportunity, User; 15-character ids, `…T16:14:25.000+0000` datetimes, `1`/empty booleans.",
        "* whynow: `whynow import salesforce EXPORT --out DIR` in its own process (Python start-up included):",
        "  detecting every file's formats, the checks that name a bad row, the report, CSV files.",
        "* hand: one DuckDB script (bench/crm.py `hand_import`) that reads the same CSV files and writes the same",
        "  tables with the same readings, without checks or report.",
        "* agree: the two wrote the same rows in every table (a hash of each row's compared columns, summed).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
