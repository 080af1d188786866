"""What every stage of one run shares: the model and the as-of date, with SPEC §2's clock.

horizon          as_of + 1 day at 00:00 UTC; only rows strictly before it exist
window_start(N)  horizon − N days: a window of N days is [window_start(N), horizon)
age_days(ts)     (horizon − ts) in fractional days, to the microsecond
days_since(d)    whole calendar days from a row's UTC date to the as-of date

With `parameters`, the date's literals are written as parameters (`WHYNOW_AS_OF()`, `WHYNOW_HORIZON()`,
`WHYNOW_WINDOW_START(30)` …) that `whynow.plan.bind` replaces: the SQL compiles once for every date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.datashape as ds
import ibis.expr.datatypes as idt
import ibis.expr.operations as ops
import ibis.expr.types as ir
import sqlglot.expressions as sge
from ibis.backends.sql.compilers.base import SQLGlotCompiler

from whynow.model.check import CompiledModel

UTC_TIMESTAMP = idt.Timestamp(timezone="UTC")
MICROSECONDS_PER_DAY = 86_400_000_000
DECIMALS = 6  # SPEC §4: every computed number is rounded to 6 decimals before it is compared or written


@dataclass(frozen=True)
class Context:
    model: CompiledModel
    as_of: dt.date
    dialect: str = "duckdb"  # the engine the stages' expressions run on (Ibis' backend name)
    parameters: bool = False  # the as-of date as parameters of the SQL, not as literals (whynow.plan)

    @property
    def horizon(self) -> dt.datetime:
        return dt.datetime.combine(self.as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)

    def horizon_value(self) -> ir.TimestampValue:
        if self.parameters:
            return _parameter("whynow_horizon", UTC_TIMESTAMP)
        return ibis.literal(self.horizon, type=UTC_TIMESTAMP)

    def window_start(self, days: int) -> ir.TimestampValue:
        if self.parameters:
            return _parameter("whynow_window_start", UTC_TIMESTAMP, days)
        return ibis.literal(self.horizon - dt.timedelta(days=days), type=UTC_TIMESTAMP)

    def window_start_date(self, days: int) -> ir.DateValue:
        if self.parameters:
            return _parameter("whynow_window_start_date", idt.date, days)
        return ibis.literal((self.horizon - dt.timedelta(days=days)).date())

    def before_horizon(self, ts: ir.TimestampValue) -> ir.BooleanValue:
        return ts < self.horizon_value()

    def age_days(self, ts: ir.TimestampValue) -> ir.FloatingValue:
        if self.dialect == "duckdb":  # the same microseconds, without DuckDB's time-zone-aware date_diff
            horizon: ir.IntegerValue = (
                _parameter("whynow_horizon_us", idt.int64)
                if self.parameters
                else ibis.literal(int((self.horizon - _UNIX_EPOCH) / dt.timedelta(microseconds=1)), type="int64")
            )
            return (horizon - _epoch_us(ts)) / MICROSECONDS_PER_DAY
        return self.horizon_value().delta(ts, unit="microsecond") / MICROSECONDS_PER_DAY

    def as_of_value(self) -> ir.DateValue:
        if self.parameters:
            return _parameter("whynow_as_of", idt.date)
        return ibis.literal(self.as_of)

    def days_since(self, day: ir.DateValue) -> ir.IntegerValue:
        return self.as_of_value().delta(day, unit="day")

    def days_until(self, day: ir.DateValue) -> ir.IntegerValue:
        return day.delta(self.as_of_value(), unit="day")


_UNIX_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class Parameter(ops.Scalar):  # type: ignore[misc]
    """A parameter of the compiled SQL, written as a call of an engine function that no engine has,
    `WHYNOW_WINDOW_START(30)`, which `whynow.plan.bind` replaces with its literal before the SQL runs. Not
    a UDF: Ibis takes a UDF for impure and would keep every query that reads one from being merged."""

    name: str
    days: int
    dtype: idt.DataType
    shape = ds.scalar


def _visit_parameter(compiler: Any, op: Parameter, **_: Any) -> Any:
    arguments = [sge.convert(op.days)] if op.name.startswith("whynow_window_start") else []
    return sge.Anonymous(this=op.name.upper(), expressions=arguments)


SQLGlotCompiler.visit_Parameter = _visit_parameter  # every engine's compiler derives from it


def _parameter(name: str, returns: idt.DataType, days: int = 0) -> Any:
    return Parameter(name=name, days=days, dtype=returns).to_expr()


def _epoch_us_builtin(ts: ir.TimestampValue) -> ir.IntegerValue:
    raise NotImplementedError  # DuckDB's own epoch_us(TIMESTAMPTZ) -> BIGINT, named by Ibis below


_epoch_us = ibis.udf.scalar.builtin(_epoch_us_builtin, name="epoch_us", signature=((UTC_TIMESTAMP,), idt.int64))


def utc_day_number(ts: ir.TimestampValue, dialect: str) -> ir.IntegerValue:
    """The UTC day of each instant as days since 1970-01-01, by arithmetic on microseconds: the same day
    as `ts.date()` in a UTC session (SPEC §2). On DuckDB, both that cast and `date_diff` of zoned
    timestamps go through the time zone library row by row: 2 to 4 s per 10 million rows on two cores,
    where `epoch_us` takes 0.1 s."""
    if dialect == "duckdb":
        since: ir.IntegerValue = _epoch_us(ts)
    else:
        since = ts.delta(ibis.literal(_UNIX_EPOCH, type=UTC_TIMESTAMP), unit="microsecond")
    return (since / MICROSECONDS_PER_DAY).floor().cast("int64")


_SCALE = float(10**DECIMALS)


def rounded(value: ir.NumericValue) -> ir.NumericValue:
    """`value` to 6 decimals, half away from zero, the same bits on every engine (SPEC §2).

    Not the engines' ROUND: PostgreSQL rounds the double's exact binary value as NUMERIC (615.1255625,
    stored as 615.12556249999…, gives .125562) while DuckDB rounds value × 10⁶ (.125563); floor and
    IEEE multiplication are the same everywhere. The casts keep Spark from turning it into a DECIMAL."""
    number = value.cast("float64")
    scaled = (number.abs() * ibis.literal(_SCALE, type="float64") + ibis.literal(0.5, type="float64")).floor()
    magnitude = scaled.cast("float64") / ibis.literal(_SCALE, type="float64")
    return ibis.ifelse(number < 0, -magnitude, magnitude).cast("float64")
