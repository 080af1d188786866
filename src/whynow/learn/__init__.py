"""Backtest and learn (SPEC §9): replay the rules against history, and learn points from outcomes."""
