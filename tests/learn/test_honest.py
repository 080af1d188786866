"""learn's honest evaluation (#23): AUC intervals bootstrapped over accounts, seeded, and what the report
says when the learned ranking and the current model cannot be told apart."""

from __future__ import annotations

import io

import numpy as np
from rich.console import Console

from whynow.learn.honest import Honest, Interval, auc_interval
from whynow.learn.report import print_honest


def _snapshots(accounts: int = 60, dates: int = 5, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each account's label and score are the same at every date: its snapshots are not independent."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, accounts)
    score = y + rng.normal(0, 1.2, accounts)
    return np.repeat(y, dates), np.repeat(score, dates), np.repeat(np.arange(accounts), dates)


def test_a_seeded_interval_is_the_same_twice_and_holds_the_auc() -> None:
    y, score, accounts = _snapshots()
    first, again = auc_interval(y, score, accounts), auc_interval(y, score, accounts)
    assert first == again
    assert first is not None and first.low < first.auc < first.high


def test_the_interval_resamples_accounts_not_rows() -> None:
    """Five snapshots of 60 accounts carry the information of 60, not 300: resampling rows would make the
    interval too narrow by about √5."""
    y, score, accounts = _snapshots()
    over_accounts = auc_interval(y, score, accounts)
    over_rows = auc_interval(y, score, np.arange(len(y)))
    assert over_accounts is not None and over_rows is not None
    assert over_accounts.auc == over_rows.auc
    assert over_accounts.high - over_accounts.low > 1.7 * (over_rows.high - over_rows.low)


def test_one_class_has_no_auc() -> None:
    assert auc_interval(np.zeros(4, dtype=int), np.arange(4.0), np.arange(4)) is None


def _printed(honest: Honest) -> str:
    console = Console(file=io.StringIO(), width=200)
    print_honest(console, honest, "accounts")
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_overlapping_intervals_are_no_better_than_the_current_model() -> None:
    opaque = Interval(0.80, 0.75, 0.85)
    overlapping = _printed(Honest(Interval(0.74, 0.70, 0.78), Interval(0.71, 0.66, 0.75), opaque))
    assert "learned ranking: AUC 0.740 (95% interval 0.700–0.780)" in overlapping
    assert "The learned ranking is no better than the current model" in overlapping
    assert "an opaque model would reach AUC 0.800 (95% interval 0.750–0.850)" in overlapping
    apart = _printed(Honest(Interval(0.84, 0.80, 0.88), Interval(0.71, 0.66, 0.75), opaque))
    assert "no better" not in apart and "The learned ranking is better than the current model" in apart
