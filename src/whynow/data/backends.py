"""The engines a run executes on (SPEC §10): DuckDB (embedded, the default), PostgreSQL and Apache Spark.

The pipeline is written once, in Ibis; this module is the little that differs per engine: connecting,
and keeping a table for the rest of a run (a temporary table on DuckDB and PostgreSQL, a cached
DataFrame or a temporary view on Spark, which has no temporary tables).

Connection forms for `--data`:

    postgresql://USER:PASSWORD@HOST:PORT/DATABASE[?schema=SCHEMA]   tables named after the contract's
    spark://MASTER?path=FOLDER                                      Parquet files <table>.parquet in FOLDER
    spark://MASTER?database=DATABASE                                tables of Spark's catalog

MASTER is `local`, `local[N]`, `local[*]`, `yarn`, or HOST:PORT of a standalone cluster (spark://HOST:PORT);
`master=` in the query takes any other master URL (e.g. `k8s://https://…`). Every other query parameter
that starts with `spark.` is passed to the Spark session as configuration.
"""

from __future__ import annotations

import os
import sys
import tempfile
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends import BaseBackend

from whynow.errors import DataError

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SPARK_SCHEME = "spark://"


def is_postgres(location: str) -> bool:
    return location.startswith(POSTGRES_SCHEMES)


def is_spark(location: str) -> bool:
    return location.startswith(SPARK_SCHEME)


def hide_password(url: str) -> str:
    """A connection URL fit to print: its password replaced by ***.

    >>> hide_password("postgresql://ann:s3cret@db.example.com:5432/crm")
    'postgresql://ann:***@db.example.com:5432/crm'
    >>> hide_password("postgresql://db.example.com/crm")
    'postgresql://db.example.com/crm'
    """
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def split_schema(url: str) -> tuple[str, str]:
    """A PostgreSQL URL without whynow's `schema=` parameter (libpq does not know it), and the schema.

    >>> split_schema("postgresql://ann@db/crm?schema=sales&sslmode=require")
    ('postgresql://ann@db/crm?sslmode=require', 'sales')
    """
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    schema = query.pop("schema", [""])[0]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query, doseq=True))), schema


def connect_postgres(url: str) -> tuple[BaseBackend, str]:
    """An Ibis PostgreSQL connection (session time zone UTC, SPEC §2) and the schema to read."""
    plain, schema = split_schema(url)
    try:
        import psycopg
    except ImportError:  # pragma: no cover - the extra is part of the install
        raise DataError("PostgreSQL needs the psycopg package: pip install 'whynow[postgres]'") from None
    try:
        con = ibis.postgres.from_connection(psycopg.connect(plain, autocommit=True))
    except psycopg.Error as e:
        raise DataError(f"{hide_password(url)}: cannot connect to PostgreSQL: {first_line(e)}") from None
    con.raw_sql("SET TIME ZONE 'UTC'")
    if not schema:
        found = con.raw_sql("SELECT current_schema()").fetchone()
        schema = str(found[0]) if found else "public"
    return con, schema


@dataclass(frozen=True)
class SparkLocation:
    """What a `spark://` URL names: the master, where the tables are, and extra configuration."""

    master: str
    path: str | None = None
    database: str | None = None
    conf: dict[str, str] = field(default_factory=dict)


def parse_spark(url: str) -> SparkLocation:
    """Read a `spark://` URL (urllib would take `local[2]` for an IPv6 address, so it is split by hand).

    >>> parse_spark("spark://local[2]?path=/data/crm")
    SparkLocation(master='local[2]', path='/data/crm', database=None, conf={})
    >>> parse_spark("spark://10.0.0.5:7077?database=crm&spark.executor.memory=8g")
    SparkLocation(master='spark://10.0.0.5:7077', path=None, database='crm', conf={'spark.executor.memory': '8g'})
    """
    rest = url.removeprefix(SPARK_SCHEME)
    where, _, query = rest.partition("?")
    params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    master = params.pop("master", "") or where.rstrip("/")
    if not master:
        raise DataError(f"{url}: name Spark's master, e.g. spark://local[2]?path=FOLDER or spark://HOST:7077?path=…")
    if not (master.startswith(("local", "yarn")) or "://" in master):
        master = f"spark://{master}"
    path, database = params.pop("path", None), params.pop("database", None)
    if (path is None) == (database is None):
        raise DataError(
            f"{url}: say where the tables are: ?path=FOLDER (Parquet files named after the tables) "
            "or ?database=NAME (tables of Spark's catalog)"
        )
    unknown = [k for k in params if not k.startswith("spark.")]
    if unknown:
        raise DataError(f"{url}: unknown parameter {', '.join(unknown)}; use path=, database=, master= or spark.* ones")
    return SparkLocation(master, path, database, params)


def spark_compiler() -> None:
    """Load Ibis's Spark compiler, with one fix. Ibis strips text of every `string.whitespace` character,
    written in SQL as the escapes \\v and \\f, which Spark SQL reads as the letters v and f: `strip()`
    then also cuts v and f off the ends (the domain `fabrikam.com` became `abrikam.com` and matched no
    account). Here it strips spaces, tabs and line breaks, which Spark reads right."""
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    def visit_strip(self: Any, op: Any, *, arg: Any) -> Any:
        return self.f.trim(arg, " \t\n\r")

    PySparkCompiler.visit_Strip = visit_strip
    _ = ibis.pyspark  # loading the backend sets the options its compiler reads


def connect_spark(location: SparkLocation) -> BaseBackend:
    """An Ibis PySpark connection on a Spark session for the master (reused within a process)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover - the extra is part of the install
        raise DataError("Spark needs the pyspark package: pip install 'whynow[spark]'") from None
    spark_compiler()
    if location.master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers need this Python's pyarrow
    builder = SparkSession.builder.master(location.master).appName("whynow")
    settings = {
        "spark.sql.session.timeZone": "UTC",  # SPEC §2: naive timestamps are UTC
        "spark.sql.execution.arrow.pyspark.enabled": "true",  # STACK.md: else missing text arrives as 'NaN'
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.warehouse.dir": tempfile.mkdtemp(prefix="whynow-spark-"),
    }
    if location.master.startswith("local"):  # small local data: fewer, larger tasks than the default 200
        settings["spark.sql.shuffle.partitions"] = "8"
    settings.update(location.conf)
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as e:  # py4j and Java errors carry no common base class
        raise DataError(f"spark {location.master}: cannot start a Spark session: {first_line(e)}") from None
    session.sparkContext.setLogLevel("ERROR")
    return ibis.pyspark.connect(session)


def keep(table: ir.Table, name: str | None = None) -> ir.Table:
    """`table` computed once and kept for the rest of the run (as a temporary table where the engine has
    them). On Spark it is checkpointed: a cached DataFrame keeps its whole lineage, and the pipeline's
    plans grow until Spark spends minutes (and its heap) printing them; a checkpoint cuts the lineage.
    The kept table has the types Ibis gave it: Spark reads the literal 40.0 as a DECIMAL and 1 as an INT,
    and a cast that Ibis thinks is a no-op is left out of the SQL."""
    con = table._find_backend()
    name = name or f"whynow_{uuid.uuid4().hex}"
    if con.name == "pyspark":
        session: Any = con._session
        session.sql(con.compile(table)).localCheckpoint(eager=True).createOrReplaceTempView(name)
        return con.table(name).cast(table.schema())
    return con.create_table(name, table, temp=True, overwrite=True)


def empty(con: BaseBackend, name: str, schema: ibis.Schema) -> ir.Table:
    """A table with no rows and this schema, on the engine."""
    if con.name == "pyspark":
        return upload(con, name, schema.to_pyarrow().empty_table())
    return con.create_table(name, schema=schema, temp=True, overwrite=True)


def upload(con: BaseBackend, name: str, rows: pa.Table) -> ir.Table:
    """Arrow rows (a previous run's state, an empty table's schema) as a table of the engine."""
    if con.name == "pyspark":
        session: Any = con._session
        schema = _spark_schema(rows.schema)
        frame = session.createDataFrame(rows.to_pandas() if rows.num_rows else [], schema=schema)
        frame.createOrReplaceTempView(name)
        return con.table(name)
    return con.create_table(name, rows, temp=True, overwrite=True)


def among(table: ir.Table, column: str, ids: ir.Table) -> ir.Table:
    """The rows of `table` whose `column` is one of `ids` (from `upload_ids`): a join, where a literal IN
    list of thousands of ids is slow to compile and to run."""
    return table.semi_join(ids, table[column] == ids.listed_id)


def upload_ids(con: BaseBackend, name: str, ids: list[str] | pa.Array) -> ir.Table:
    """Ids (a list, or an Arrow string array) as table `name` (one column, `listed_id`) of the engine, for
    `among`."""
    listed = ids if isinstance(ids, pa.Array) else pa.array(ids, pa.string())
    return upload(con, name, pa.table({"listed_id": listed}))


def _spark_schema(schema: pa.Schema) -> Any:
    from ibis.backends.pyspark.datatypes import PySparkSchema

    return PySparkSchema.from_ibis(ibis.Schema.from_pyarrow(schema))


def close(con: BaseBackend) -> None:
    """Close a connection; a Spark session is left running for the next run of the process."""
    if con.name != "pyspark":
        con.disconnect()


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
