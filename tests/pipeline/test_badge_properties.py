"""Properties of badge resolution and capacity over random small worlds (one run each)."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pipeline.test_badges import MODEL
from whynow.model.load import load_model_text
from whynow.run import run

TOPICS = ("risk", "rival", "change")
RANK = {"save": 0, "displace": 1, "first-change": 2, "second-change": 2}
TOPIC_BADGE = {"risk": "save", "rival": "displace", "change": "first-change"}

worlds = st.lists(
    st.tuples(
        st.sampled_from(["R1", "R2", ""]),  # owner
        st.sampled_from(["S1", ""]),  # csm
        st.sets(st.sampled_from(TOPICS)),  # what the account researches on the as-of date
        st.integers(0, 5000),  # employees
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds, st.integers(0, 3), st.integers(0, 2))
def test_one_badge_best_archetype_and_nobody_over_capacity(world, r1_capacity, unassigned):
    folder = Path(tempfile.mkdtemp())
    accounts = "account_id,name,owner_id,csm_id,employees\n" + "".join(
        f"A{i},Co {i},{owner},{csm},{employees}\n" for i, (owner, csm, _topics, employees) in enumerate(world)
    )
    intent = "observed_at,topic,score,account_id\n" + "".join(
        f"2026-11-01,{topic},1,A{i}\n" for i, (_o, _c, topics, _e) in enumerate(world) for topic in sorted(topics)
    )
    (folder / "accounts.csv").write_text(accounts)
    (folder / "intent.csv").write_text(intent)
    (folder / "reps.csv").write_text(f"rep_id,name,capacity\nR1,Rae,{r1_capacity}\n")
    model = MODEL.replace("unassigned: 0", f"unassigned: {unassigned}").replace(
        "rank_by: fit + engagement", "rank_by: employees"
    )
    result = run(load_model_text(model, "m.yaml"), str(folder), dt.date(2026, 11, 1), store=folder / "s.duckdb")
    rows = result.outputs["account_status"].to_pylist()

    assert len({r["account_id"] for r in rows}) == len(rows) == len(world)  # one row, so one badge, each
    for i, (_owner, _csm, topics, _employees) in enumerate(world):
        row = next(r for r in rows if r["account_id"] == f"A{i}")
        candidates = [TOPIC_BADGE[t] for t in topics]
        if not candidates:
            assert row["badge"] is None
        else:
            assert row["badge"] is not None
            assert RANK[row["badge"]] == min(RANK[c] for c in candidates)  # never a worse archetype
    surfaced = [r for r in rows if r["queue"] == "surfaced"]
    assert all(r["badge"] is not None for r in surfaced)
    per_queue = Counter(r["route_to"] for r in surfaced)
    capacity = {"R1": r1_capacity, "R2": 1, "S1": 1, None: unassigned}  # R2, S1: default_per_rep 1
    assert all(n <= capacity[target] for target, n in per_queue.items())
    for target in per_queue:
        ranks = sorted(r["queue_rank"] for r in surfaced if r["route_to"] == target)
        assert ranks == list(range(1, len(ranks) + 1))
