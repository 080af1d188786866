"""Benchmarks (issue #5): whynow against a hand-tuned DuckDB SQL script for the reference model.

generate.py   the SPEC §3 tables at scale, as Parquet, set-based in DuckDB (no loop over rows)
reference.sql the reference model by hand, in one DuckDB script; reference.py runs it
compare.py    do whynow's outputs and the hand script's agree, column by column?
bench.py      both, timed in their own processes, per scale: a Rich table and results.md
"""
