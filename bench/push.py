"""`whynow push` at scale (issue #25, SPEC §12): 100k accounts and 1M contacts into the fake Salesforce org
(Bulk API 2.0 over checked TLS) and the fake HubSpot portal (CRM v3 batch update).

    python bench/push.py                      # 100k accounts, 1M contacts (the 50M-activity data)
    python bench/push.py --small              # 10k accounts, 100k contacts (the 5M-activity data)
    python bench/push.py --crm hubspot --profile

Per CRM the benchmark data (bench/generate.py, cached under bench/.data/) is copied with that CRM's ids
(Salesforce: 18-character Account ids 001…, Contact 003…, one person in ten a Lead 00Q…; HubSpot: numbers),
and `whynow run` of the reference model builds a store on the copy, once (cached). Each bench run then copies
that store, puts every account and contact of the data into the fake (tests/fakes/), served from this process
in a thread, and runs `whynow push CRM` in its own process twice: the first push sends every record, the second
finds nothing changed and must send nothing. Measured per push: wall time, CPU time and peak memory of the
`whynow push` process (wait4's rusage), the requests the fake received, the bytes of each Bulk API upload, the
records of each HubSpot batch, and the time the fake spent answering. `--profile` runs one more first push
under cProfile and lists where its time goes. The tables go to bench/push-results.md with the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import pstats
import re
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

if __package__ in (None, ""):  # run as a script (python bench/push.py): import `bench` and `tests` from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb
from tests.fakes.hubspot import HubSpotPortal
from tests.fakes.salesforce import SalesforceOrg, serve_org

import whynow
from bench.bench import DATA, MODEL, Measure, ensure_data, label, load_average, machine, measure
from bench.generate import AS_OF, TABLES
from whynow.crm.push.mapping import mapping_of
from whynow.model.load import load_model

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "push-results.md"
FULL, SMALL = 50_000_000, 5_000_000  # activities: 100k accounts and 1M contacts; 10k and 100k
# Bulk API 2.0 takes 150 MB per upload as base64, which Salesforce turns into "upload at most 100 MB of CSV";
# simple-salesforce 1.12.10 refuses an upload over 100 MiB (bulk2.MAX_INGEST_JOB_FILE_SIZE).
CSV_LIMIT = 100_000_000
SPLIT_CHECK = 4_000_000  # contact rows of one object given to simple-salesforce's split, where it falls short
BATCH_LIMIT = 100  # HubSpot's batch update: inputs per request
BURST = (100, 190)  # HubSpot private apps: requests per 10 s (Free/Starter, Professional/Enterprise)
Crm = Literal["salesforce", "hubspot"]
CRMS: tuple[Crm, ...] = ("salesforce", "hubspot")

PUSH_SECTION: dict[Crm, str] = {  # the default mapping; secrets and addresses from the environment (SPEC §12)
    "salesforce": "push:\n  salesforce:\n    instance_url: ${SALESFORCE_INSTANCE_URL}\n"
    "    access_token: ${SALESFORCE_ACCESS_TOKEN}\n",
    "hubspot": "push:\n  hubspot:\n    token: ${HUBSPOT_TOKEN}\n    api_base: ${HUBSPOT_API_BASE}\n",
}


def id18(id15: str) -> str:
    """A 15-character Salesforce id with its 3-character case checksum (a bit per upper-case letter, 5 a chunk).

    >>> id18("001000000000042"), id18("00Q000000000042")
    ('001000000000042AAA', '00Q000000000042EAA')
    """
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    chunks = (id15[i : i + 5] for i in range(0, 15, 5))
    return id15 + "".join(letters[sum(1 << i for i, c in enumerate(chunk) if "A" <= c <= "Z")] for chunk in chunks)


def _salesforce(prefix: str) -> str:
    """SQL: the 18-character id of key prefix `prefix` for the generator's key `k` (A00042: its number 42)."""
    return f"'{prefix}' || lpad(substr(k, 2), 12, '0') || '{id18(prefix + '0' * 12)[15:]}'"


# The generator's keys (A00042, C000042) as the CRM's ids; a key of an unknown record (AX…, CXC…) stays as it is.
_NUMBER = "TRY_CAST(substr(k, 2) AS BIGINT)"
ID_SQL: dict[Crm, tuple[str, str]] = {  # (account, contact): SQL of the generator's key `k`
    "salesforce": (
        _salesforce("001"),
        f"CASE WHEN {_NUMBER} % 10 = 9 THEN {_salesforce('00Q')} ELSE {_salesforce('003')} END",
    ),
    "hubspot": (f"CAST(5000000000 + {_NUMBER} AS VARCHAR)", f"CAST(7000000000 + {_NUMBER} AS VARCHAR)"),
}


def with_crm_ids(data: Path, out: Path, crm: Crm) -> None:
    """Copy the eight tables of `data` to `out` with every account_id and contact_id as `crm`'s ids."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        for (kind, letter), sql in zip((("account", "A"), ("contact", "C")), ID_SQL[crm], strict=True):
            con.execute(
                f"CREATE MACRO {kind}_crm(k) AS CASE WHEN regexp_full_match(k, '{letter}[0-9]+') THEN {sql} ELSE k END"
            )
        for table in TABLES:
            source = str(data / f"{table}.parquet")
            columns = {r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [source]).fetchall()}
            replaced = [
                f"{kind}_crm({kind}_id) AS {kind}_id" for kind in ("account", "contact") if f"{kind}_id" in columns
            ]
            select = f"* REPLACE ({', '.join(replaced)})" if replaced else "*"
            target = str(out / f"{table}.parquet").replace("'", "''")
            con.execute(f"COPY (SELECT {select} FROM read_parquet(?)) TO '{target}' (FORMAT parquet)", [source])
    finally:
        con.close()


def ensure_store(activities: int, seed: int, crm: Crm) -> tuple[Path, Path, Measure | None]:
    """The data with `crm`'s ids and the store of one run of the reference model on it, built unless cached."""
    data = DATA / f"{activities}-seed{seed}-{AS_OF}"
    ensure_data(data, activities, seed, AS_OF)
    folder = DATA / f"push-{label(activities)}-{crm}"
    store, marker = folder / "whynow.duckdb", folder / "built.json"
    stamp = {
        "data": json.loads((data / "generated.json").read_text(encoding="utf-8"))["stamp"],
        "ids": list(ID_SQL[crm]),  # as JSON gives it back
        "model": hashlib.sha256(Path(str(MODEL)).read_bytes()).hexdigest(),
        "whynow": whynow.__version__,
    }
    if marker.exists() and store.exists() and json.loads(marker.read_text(encoding="utf-8")) == stamp:
        return folder / "data", store, None
    shutil.rmtree(folder, ignore_errors=True)
    print(f"{crm}: the data with {crm} ids, and `whynow run` on it into {store}", flush=True)
    with_crm_ids(data, folder / "data", crm)
    command = [sys.executable, "-m", "whynow", "run", "--model", str(MODEL), "--data", str(folder / "data"),
               "--as-of", AS_OF.isoformat(), "--store", str(store), "--no-send"]  # fmt: skip
    built = measure(command, folder / "run.log")
    marker.write_text(json.dumps(stamp), encoding="utf-8")
    return folder / "data", store, built


# ---- the fakes, timed: the time each spends answering is the CRM's share of a push's wall time ----------------


class TimedOrg(SalesforceOrg):
    def __init__(self) -> None:
        super().__init__()
        self.answering = 0.0
        self.upload_rows: list[int] = []  # records of each Bulk API upload (its CSV lines but the header)

    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Any:
        started = time.perf_counter()
        if method == "PUT":
            self.upload_rows.append(body.count(b"\n") + (not body.endswith(b"\n")) - 1)
        try:
            return super().answer(method, target, headers, body)
        finally:
            self.answering += time.perf_counter() - started


class TimedPortal(HubSpotPortal):
    def __init__(self) -> None:
        super().__init__()
        self.answering = 0.0

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Any:
        started = time.perf_counter()
        try:
            return super().handle(method, target, headers, raw)
        finally:
            self.answering += time.perf_counter() - started


@contextmanager
def fake(crm: Crm, data: Path) -> Iterator[tuple[TimedOrg | TimedPortal, dict[str, str]]]:
    """The CRM's fake holding every account and contact of `data`, and the environment `whynow push` needs."""
    con = duckdb.connect()
    accounts = con.execute("SELECT account_id, name FROM read_parquet(?)", [str(data / "accounts.parquet")]).fetchall()
    people = con.execute("SELECT contact_id, last_name FROM read_parquet(?)", [str(data / "contacts.parquet")])
    contacts = people.fetchall()
    con.close()
    if crm == "hubspot":
        with TimedPortal() as portal:
            for record_id, name in accounts:
                portal.add("companies", record_id=record_id, name=name)
            for record_id, last_name in contacts:
                portal.add("contacts", record_id=record_id, lastname=last_name)
            yield portal, {"HUBSPOT_TOKEN": portal.token, "HUBSPOT_API_BASE": portal.url}
        return
    with serve_org(TimedOrg()) as org:
        assert isinstance(org, TimedOrg)
        for level, fields in mapping_of(load_model(Path(str(MODEL))), "salesforce").items():  # the default mapping
            for sobject in ("Account",) if level == "account" else ("Contact", "Lead"):
                org.fields[sobject] |= {f.name: f.length if f.type == "text" else None for f in fields}
        for record_id, name in accounts:
            org.add("Account", Id=record_id, Name=name)
        for record_id, last_name in contacts:
            org.add("Lead" if record_id.startswith("00Q") else "Contact", Id=record_id, LastName=last_name or "-")
        env = {"SALESFORCE_INSTANCE_URL": org.url, "SALESFORCE_ACCESS_TOKEN": org.new_session()}
        yield org, env | {"REQUESTS_CA_BUNDLE": org.ca_bundle}


# ---- one push, what it sent, and what the fake saw ----------------------------------------------------------------

# whynow's report, a line per CRM object: "Contact: 900 records: 900 changed, 900 sent, 900 confirmed, 0 failed, …"
_LINE = re.compile(r"^(\w+): (\d+) records: (\d+) changed, (\d+) sent, (\d+) confirmed, (\d+) failed")
_LEVEL = {"Account": "account", "companies": "account", "Contact": "contact", "Lead": "contact", "contacts": "contact"}


@dataclass
class Push:
    """One `whynow push` in its own process."""

    measure: Measure
    levels: dict[str, tuple[int, int, int, int]]  # level -> records, changed, confirmed, failed (whynow's report)
    requests: dict[str, int]  # kind of request -> how many the fake received
    uploads: list[int] = field(default_factory=list)  # Salesforce: bytes of each Bulk API upload
    upload_rows: list[int] = field(default_factory=list)  # Salesforce: records of each Bulk API upload
    batches: list[int] = field(default_factory=list)  # HubSpot: inputs of each batch update
    answering: float = 0.0  # seconds the fake spent answering


def _requests(crm: Crm, served: TimedOrg | TimedPortal, since: int) -> tuple[dict[str, int], list[int], list[int]]:
    """The requests received since `since`, by kind; the Bulk uploads' sizes; the HubSpot batches' inputs."""
    kinds: dict[str, int] = {}
    uploads, batches = [], []
    for seen in served.received[since:]:
        if crm == "hubspot":
            kind = f"{seen.method} {seen.path.split('/')[4]}/{'/'.join(seen.path.split('/')[5:])}"
            batches.append(len(seen.body["inputs"]))
        else:
            tail = seen.path.split("?")[0].rstrip("/").split("/")
            kind = {"ingest": "create job", "batches": "upload", "successfulResults": "successful results",
                    "failedResults": "failed results"}.get(tail[-1], "")  # fmt: skip
            kind = kind or {"PATCH": "close job", "GET": "job info", "DELETE": "delete job"}.get(seen.method, seen.path)
            if kind == "upload":
                uploads.append(seen.body_size)
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds, uploads, batches


def run_push(crm: Crm, served: TimedOrg | TimedPortal, command: list[str], env: dict[str, str], log: Path) -> Push:
    since, answered = len(served.received), served.answering
    rows_since = len(served.upload_rows) if isinstance(served, TimedOrg) else 0
    with _environment(env):
        measured = measure(command, log)
    levels: dict[str, tuple[int, int, int, int]] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        found = _LINE.match(line)
        if found and found[1] in _LEVEL:  # records, sent, confirmed, failed: summed per level (Contact + Lead)
            seen = (int(found[2]), int(found[4]), int(found[5]), int(found[6]))
            before = levels.get(_LEVEL[found[1]], (0, 0, 0, 0))
            levels[_LEVEL[found[1]]] = tuple(a + b for a, b in zip(before, seen, strict=True))  # type: ignore[assignment]
    requests, uploads, batches = _requests(crm, served, since)
    rows = served.upload_rows[rows_since:] if isinstance(served, TimedOrg) else []
    return Push(measured, levels, requests, uploads, rows, batches, served.answering - answered)  # type: ignore[arg-type]


@contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    """`env` set for the child processes started in the block (the fake's secrets are never printed)."""
    before = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def updated(served: TimedOrg | TimedPortal) -> int:
    """The fake's records that hold whynow's values now."""
    if isinstance(served, TimedPortal):
        held = (r.properties for kind in ("companies", "contacts") for r in served.records[kind].values())
        return sum(1 for properties in held if any(n.startswith("whynow_") for n in properties))
    return sum(1 for records in served.records.values() for r in records.values() if any("Whynow_" in n for n in r))


# ---- where a first push's time goes: cProfile of one more push, on a fresh copy of the store ---------------------


# (what, file the function is in, the function): the parts of a push, cumulative seconds under cProfile
PHASES: dict[Crm, list[tuple[str, str, str]]] = {
    "salesforce": [
        ("the run's records read, values as sent, digests", "whynow/crm/push/records.py", "records"),
        ("the ledger's confirmed digests read", "whynow/crm/push/push.py", "_confirmed"),
        ("sending (whynow's salesforce.send)", "whynow/crm/push/salesforce.py", "send"),
        ("· simple-salesforce: the dicts as one CSV text", "simple_salesforce/bulk2.py", "_convert_dict_to_csv"),
        ("· simple-salesforce: the CSV counted and split into uploads", "simple_salesforce/bulk2.py", "_split_csv"),
        ("· the uploads", "simple_salesforce/bulk2.py", "upload_job_data"),
        ("· waiting for the jobs (the fake applies them)", "simple_salesforce/bulk2.py", "wait_for_job"),
        ("· the jobs' results downloaded", "simple_salesforce/bulk2.py", "get_ingest_results"),
        ("· the results parsed (csv.DictReader)", "whynow/crm/push/salesforce.py", "_csv"),
        ("the confirmed records written to the ledger", "whynow/store/store.py", "record"),
    ],
    "hubspot": [
        ("the run's records read, values as sent, digests", "whynow/crm/push/records.py", "records"),
        ("the ledger's confirmed digests read", "whynow/crm/push/push.py", "_confirmed"),
        ("sending (whynow's hubspot.send)", "whynow/crm/push/hubspot.py", "send"),
        ("· hubspot-api-client: the request's JSON", "api_client.py", "sanitize_for_serialization"),
        ("· HTTP (urllib3: send, wait for the fake, receive)", "rest.py", "request"),
        ("· hubspot-api-client: the answer as models", "api_client.py", "deserialize"),
        ("· · of which dateutil parsing createdAt/updatedAt", "api_client.py", "__deserialize_datetime"),
        ("the confirmed records written to the ledger", "whynow/store/store.py", "record"),
    ],
}


def profile(crm: Crm, command: list[str], env: dict[str, str], out: Path) -> list[tuple[str, float]]:
    """The push run once more under cProfile: (part, cumulative seconds), the whole push first."""
    with _environment(env):
        measure([sys.executable, "-m", "cProfile", "-o", str(out), *command[1:]], out.with_suffix(".log"))
    stats = pstats.Stats(str(out)).stats  # type: ignore[attr-defined]

    def cumulative(where: str, name: str) -> float:
        return sum(v[3] for (f, _, n), v in stats.items() if n == name and (f == where or f.endswith(where)))

    whole = max(v[3] for v in stats.values())
    pushed = cumulative("whynow/crm/push/push.py", "push")
    found = [("the whole `whynow push` process", whole), ("start-up: Python, imports, the model", whole - pushed)]
    found += [(what, cumulative(where, name)) for what, where, name in PHASES[crm]]
    # what the sender spends outside the parts named: to_pylist (not seen by cProfile), a dict per record, bookkeeping
    sending = next(i for i, (what, _) in enumerate(found) if what.startswith("sending"))
    parts = sum(seconds for what, seconds in found if what.startswith("· ") and not what.startswith("· · "))
    found.insert(
        sending + 1, ("· whynow's own: the records as dicts (to_pylist), bookkeeping", found[sending][1] - parts)
    )
    return found


def split_check(records: int = SPLIT_CHECK) -> list[tuple[int, int]]:
    """(records, bytes) of each upload simple-salesforce makes of `records` contact rows shaped like the ones this
    bench sends (an Id, a lead status, a NULL why): whynow gives `bulk2.<Object>.update` all of an object's records
    and no batch_size, so this split (the library's own `_split_csv`, which `update` calls) is what keeps each
    upload within the limit."""
    from simple_salesforce.bulk2 import _convert_dict_to_csv, _split_csv

    rows = [
        {"Id": f"003{i:012d}AAA", "Whynow_Lead_Status__c": "engaged", "Whynow_Why__c": "#N/A"} for i in range(records)
    ]
    text = _convert_dict_to_csv(rows)
    del rows
    return [(n, len(chunk.encode("utf-8"))) for n, chunk in _split_csv(records=text)]


def markdown(
    results: Sequence[Result],
    activities: int,
    seed: int,
    loads: tuple[float, float],
    fakes_mb: float,
    split: list[tuple[int, int]],
) -> str:
    """bench/push-results.md: the pushes, what the fakes received, the upload sizes, where the time goes."""
    lines = [
        "# whynow push into the fake CRMs",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by bench/push.py on: {machine()}.",
        f"1-minute load average {loads[0]:.2f} at the start, {loads[1]:.2f} at the end.",
        "",
        f"Data: the {label(activities)}-activity benchmark data (bench/generate.py, seed {seed}, as of {AS_OF}), "
        "its ids rewritten as each CRM's; one `whynow run` of the reference model into a store, which each bench "
        "run copies. The fake holds every account and contact of the data.",
        "",
        "| CRM | push | accounts | contacts | sent | confirmed | failed | requests | wall s | CPU s | peak MB "
        "| fake answering s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for name, push in (("first", r.first), ("second, nothing changed", r.second)):
            levels = push.levels
            sent = sum(v[1] for v in levels.values())
            confirmed, failed = sum(v[2] for v in levels.values()), sum(v[3] for v in levels.values())
            m = push.measure
            lines.append(
                f"| {r.crm} | {name} | {levels.get('account', (0,))[0]:,} | {levels.get('contact', (0,))[0]:,} "
                f"| {sent:,} | {confirmed:,} | {failed:,} | {sum(push.requests.values()):,} | {m.wall:.1f} "
                f"| {m.cpu:.1f} | {m.peak_mb:,.0f} | {push.answering:.1f} |"
            )
    lines += [
        "",
        "* push: `whynow push CRM --model … --store …` in its own process (Python start-up included), started by a",
        "  small Python that reports its rusage: wall time, CPU time (user + sys), peak resident memory. (Started",
        "  straight from the bench, whose fakes hold millions of records, Linux would count the bench's memory as",
        "  the child's peak.) first: a store without a ledger, every record sent; second: the same store right",
        "  after, nothing changed, so nothing may be sent.",
        "* fake answering: the time the fake (tests/fakes/, served from the bench's process, on the other core)",
        "  spent answering, part of the push's wall time. Both fakes ran in the bench's process, whose peak was",
        f"  {fakes_mb:,.0f} MB.",
        "",
        "## What the CRMs received in the first push",
        "",
    ]
    for r in results:
        kinds = ", ".join(f"{kind} {n:,}" for kind, n in r.first.requests.items())
        setup = f"built in {r.built.wall:.0f} s" if r.built else "cached"
        lines.append(
            f"* {r.crm}: {kinds}. The fake then held whynow's values on {r.held:,} of its "
            f"{r.accounts + r.contacts:,} records (store {setup}; the fake filled in {r.seeded_s:.0f} s)."
        )
        if r.first.uploads:
            sizes = ", ".join(
                f"{b / 1e6:,.1f} MB ({n:,} records)" for b, n in zip(r.first.uploads, r.first.upload_rows, strict=True)
            )
            verdict = "within" if max(r.first.uploads) <= CSV_LIMIT else "OVER"
            lines.append(f"  Bulk API uploads, one job each: {sizes}; the largest {verdict} 100 MB of CSV.")
        if r.first.batches:
            most, count = max(r.first.batches), len(r.first.batches)
            lines.append(
                f"  Batch updates: {count:,}, of {min(r.first.batches)} to {most} inputs "
                f"({'within' if most <= BATCH_LIMIT else 'OVER'} HubSpot's {BATCH_LIMIT}). The fake has no rate "
                f"limit; a real portal lets a private app make {BURST[0]} or {BURST[1]} requests per 10 s, so "
                f"these take at least {count / BURST[1] * 10 / 60:.0f} to {count / BURST[0] * 10 / 60:.0f} minutes "
                "there. whynow paces itself by the X-HubSpot-RateLimit-* headers HubSpot sends (this fake sends "
                "none), and retries a 429 honouring Retry-After."
            )
    largest = max(split, key=lambda upload: upload[1])
    lines += [
        "",
        "## Bulk API upload sizes: whynow cuts the jobs itself",
        "",
        "Salesforce takes at most 150 MB per Bulk API 2.0 upload once base64-encoded, so at most 100 MB of CSV; it",
        "splits each job into internal batches of 10,000 records by itself, and allows 150M records and 15,000",
        "batches a day. whynow (src/whynow/crm/push/salesforce.py `send`) writes each job's CSV from Arrow, at",
        "most JOB_ROWS records and JOB_BYTES (50 MB) by an upper bound of each row's bytes, and hands it to",
        "`sf.bulk2.<Object>.update(csv_file=…, batch_size=<its rows>)`, so simple-salesforce never splits it.",
        "It must not be left to: simple-salesforce 1.12.10 splits where its own estimate reaches 99 MiB, and the",
        "estimate leaves out line ends and quotes, so a part can pass the 100 MiB its `upload_job_data` refuses.",
        f"Its split of {SPLIT_CHECK:,} contact rows shaped like this bench's (an Id, a lead status, a NULL why):",
        "",
        *(f"* {n:,} records in {b / 1e6:,.1f} MB" for n, b in split),
        "",
        f"The largest is {'OVER' if largest[1] > 100 * 1024 * 1024 else 'within'} simple-salesforce's own 100 MiB "
        "check.",
        "",
    ]
    for r in results:
        if r.profiled:
            whole = r.profiled[0][1]
            lines += [f"## Where a first push to {r.crm} spends its time (cProfile)", ""]
            lines += ["| part | s under cProfile | share |", "|---|---:|---:|"]
            lines += [f"| {what} | {s:.1f} | {s / whole:.0%} |" for what, s in r.profiled]
            lines.append("")
    return "\n".join(lines)


# ---- the bench -------------------------------------------------------------------------------------------------


@dataclass
class Result:
    """One CRM: the store's build (None: cached), the fake's setup, both pushes and the profile."""

    crm: Crm
    accounts: int
    contacts: int
    built: Measure | None
    seeded_s: float
    first: Push
    second: Push
    held: int  # the fake's records holding whynow's values after the first push
    profiled: list[tuple[str, float]] | None


def bench_crm(crm: Crm, activities: int, seed: int, with_profile: bool) -> Result:
    data, store, built = ensure_store(activities, seed, crm)
    with tempfile.TemporaryDirectory(prefix="whynow-bench-push-") as tmp:
        work = Path(tmp)
        model = work / "model.yaml"
        model.write_text(Path(str(MODEL)).read_text(encoding="utf-8") + PUSH_SECTION[crm], encoding="utf-8")
        copy = work / "whynow.duckdb"
        shutil.copyfile(store, copy)  # a store without a push ledger: the first push sends every record
        started = time.perf_counter()
        with fake(crm, data) as (served, env):
            seeded = time.perf_counter() - started
            accounts = len(served.records["companies" if crm == "hubspot" else "Account"])
            contacts = sum(len(served.records[k]) for k in (("contacts",) if crm == "hubspot" else ("Contact", "Lead")))
            print(f"{crm}: {accounts:,} accounts and {contacts:,} contacts in the fake in {seeded:.1f} s", flush=True)
            command = [sys.executable, "-m", "whynow", "push", crm, "--model", str(model), "--store", str(copy)]
            first = run_push(crm, served, command, env, work / "first.log")
            print(
                f"{crm}: first push {first.measure.wall:.1f} s, {sum(first.requests.values()):,} requests", flush=True
            )
            held = updated(served)
            second = run_push(crm, served, command, env, work / "second.log")
            print(
                f"{crm}: second push {second.measure.wall:.1f} s, {sum(second.requests.values()):,} requests",
                flush=True,
            )
            profiled = None
            if with_profile:
                shutil.copyfile(store, copy)
                profiled = profile(crm, command, env, store.parent / "push.prof")  # kept for a closer look
            if isinstance(served, TimedOrg):
                assert not served.crashes, served.crashes
    return Result(crm, accounts, contacts, built, seeded, first, second, held, profiled)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="10k accounts and 100k contacts")
    parser.add_argument("--crm", choices=CRMS, action="append", help="only this CRM (repeatable; default: both)")
    parser.add_argument("--profile", action="store_true", help="one more first push under cProfile, per CRM")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    activities = SMALL if args.small else FULL
    load_before, started = load_average(), time.perf_counter()
    results = [bench_crm(crm, activities, args.seed, args.profile) for crm in args.crm or CRMS]
    # the fakes ran in this process: its peak is theirs (and the data they were given)
    fakes_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
    split = split_check()
    text = markdown(results, activities, args.seed, (load_before, load_average()), fakes_mb, split)
    RESULTS.write_text(text, encoding="utf-8")
    print(text)
    print(f"wrote {RESULTS} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
