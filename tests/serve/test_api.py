"""The JSON API (SPEC §8) over HTTP against a real `whynow serve` on 127.0.0.1: the OpenAPI schema is
valid and every answer matches it; filters and pagination; what the answers hold equals the store."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest
from openapi_spec_validator import validate

from tests.serve.conftest import BACKTEST_ID, WEEKS, Demo, Server


def _get(server: Server, path: str, **params: object) -> httpx.Response:
    return httpx.get(server.url + path, params=params, timeout=30)


@pytest.fixture(scope="module")
def openapi(server: Server) -> dict[str, Any]:
    response = _get(server, "/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def _matches(openapi: dict[str, Any], path: str, body: object) -> None:
    """`body` is valid against the schema the OpenAPI document gives `path`'s 200 answer."""
    schema = openapi["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    root = {**schema, "components": openapi["components"]}
    jsonschema.validate(body, root, cls=jsonschema.Draft202012Validator, format_checker=jsonschema.FormatChecker())


def test_the_openapi_schema_is_valid_and_lists_every_endpoint(openapi: dict[str, Any]) -> None:
    validate(openapi)
    assert set(openapi["paths"]) == {
        "/api/runs",
        "/api/overview",
        "/api/accounts",
        "/api/accounts/{account_id}",
        "/api/queues",
        "/api/changes",
        "/api/model",
        "/api/backtests",
        "/api/backtests/{backtest_id}",
        "/api/feedback",
    }


def test_every_answer_matches_the_schema(server: Server, openapi: dict[str, Any], demo: Demo) -> None:
    for path, params in (
        ("/api/runs", {}),
        ("/api/overview", {}),
        ("/api/accounts", {"per_page": 500}),
        ("/api/accounts", {"badge": "none", "mqa": "false"}),
        ("/api/queues", {}),
        ("/api/changes", {"per_page": 500}),
        ("/api/model", {}),
        ("/api/backtests", {}),
        (f"/api/backtests/{BACKTEST_ID}", {}),
    ):
        response = _get(server, path, **params)
        assert response.status_code == 200, (path, response.text)
        _matches(openapi, path.replace(BACKTEST_ID, "{backtest_id}"), response.json())
    for account_id in (
        demo.xss_account,
        *(row[0] for row in demo.sql("SELECT account_id FROM account_status LIMIT 5")),
    ):
        response = _get(server, f"/api/accounts/{account_id}")
        assert response.status_code == 200
        _matches(openapi, "/api/accounts/{account_id}", response.json())


def test_the_overview_sums_to_account_status(server: Server, demo: Demo) -> None:
    overview = _get(server, "/api/overview").json()
    as_of = demo.sql("SELECT max(as_of) FROM runs")[0][0]
    wanted = demo.sql(
        "SELECT badge, motion, count(*), coalesce(sum(open_pipeline), 0) FROM account_status WHERE as_of = ? "
        "GROUP BY ALL",
        [as_of],
    )
    shown = {(c["badge"], c["motion"]): (c["accounts"], c["open_pipeline"]) for c in overview["pipeline"]}
    assert shown == {(b, m): (n, pytest.approx(p)) for b, m, n, p in wanted}
    assert overview["accounts"] == sum(n for _, _, n, _ in wanted) == 300
    funnel = {f["stage"]: f["accounts"] for f in overview["funnel"]}
    assert {k: v for k, v in funnel.items() if v} == dict(
        demo.sql("SELECT stage, count(*) FROM account_status WHERE as_of = ? GROUP BY stage", [as_of])
    )
    per_run = demo.sql(
        "SELECT as_of, count(*) FILTER (WHERE mqa), count(badge), count(*) FILTER (WHERE queue = 'surfaced') "
        "FROM account_status GROUP BY as_of ORDER BY as_of"
    )
    assert [(p["as_of"], p["mqa"], p["badged"], p["surfaced"]) for p in overview["over_time"]] == [
        (str(d), m, b, s) for d, m, b, s in per_run
    ]


def test_filters_match_the_store(server: Server, demo: Demo) -> None:
    as_of = demo.sql("SELECT max(as_of) FROM runs")[0][0]
    badge, n = demo.sql(
        "SELECT badge, count(*) AS n FROM account_status WHERE as_of = ? AND badge IS NOT NULL GROUP BY badge "
        "ORDER BY n DESC, badge LIMIT 1",
        [as_of],
    )[0]
    page = _get(server, "/api/accounts", badge=badge, per_page=500).json()
    assert page["total"] == n == len(page["accounts"])
    assert {a["badge"] for a in page["accounts"]} == {badge}
    mqas = _get(server, "/api/accounts", mqa="true", per_page=500).json()
    assert mqas["total"] == demo.sql("SELECT count(*) FROM account_status WHERE as_of = ? AND mqa", [as_of])[0][0]
    assert all(a["mqa"] for a in mqas["accounts"])
    rep = demo.sql("SELECT owner_id FROM account_status WHERE as_of = ? AND owner_id IS NOT NULL LIMIT 1", [as_of])[0][
        0
    ]
    mine = _get(server, "/api/accounts", rep=rep, per_page=500).json()["accounts"]
    assert mine and all(rep in (a["owner_id"], a["route_to"]) for a in mine)
    found = _get(server, "/api/accounts", q="SCRIPT>alert").json()["accounts"]
    assert [a["account_id"] for a in found] == [demo.xss_account]


def test_pages_of_accounts_are_the_sorted_list_cut_in_pieces(server: Server, demo: Demo) -> None:
    everything = _get(server, "/api/accounts", sort="fit", order="asc", per_page=500).json()
    assert everything["pages"] == 1 and everything["total"] == 300
    fits = [a["fit"] for a in everything["accounts"]]
    assert fits == sorted(fits)
    pieces = []
    for number in range(1, 8):
        page = _get(server, "/api/accounts", sort="fit", order="asc", per_page=47, page=number).json()
        assert page["pages"] == 7 and page["page"] == number
        pieces += page["accounts"]
    assert pieces == everything["accounts"]
    assert _get(server, "/api/accounts", per_page=47, page=9).json()["accounts"] == []


def test_changes_filter_and_page(server: Server, demo: Demo) -> None:
    kind, n = demo.sql("SELECT change, count(*) AS n FROM changes GROUP BY change ORDER BY n DESC LIMIT 1")[0]
    first = _get(server, "/api/changes", change=kind, per_page=10).json()
    assert first["total"] == n and len(first["changes"]) == min(10, n)
    assert {c["change"] for c in first["changes"]} == {kind}
    second = _get(server, "/api/changes", change=kind, per_page=10, page=2).json()["changes"]
    assert not {tuple(c.values()) for c in first["changes"]} & {tuple(c.values()) for c in second}
    model_changes = _get(server, "/api/changes", entity_type="model").json()["changes"]
    assert [c["change"] for c in model_changes] == ["model_changed", "model_changed"]


def test_queues_hold_each_reps_surfaced_accounts_within_capacity(server: Server, demo: Demo) -> None:
    as_of = demo.sql("SELECT max(as_of) FROM runs")[0][0]
    answer = _get(server, "/api/queues", per_page=500).json()
    surfaced = dict(
        demo.sql(
            "SELECT coalesce(route_to, ''), count(*) FROM account_status WHERE as_of = ? AND queue = 'surfaced' "
            "GROUP BY ALL",
            [as_of],
        )
    )
    assert {q["rep_id"] or "": q["used"] for q in answer["queues"] if q["used"]} == surfaced
    for queue in answer["queues"]:
        assert queue["used"] <= queue["capacity"]
        assert [a["queue_rank"] for a in queue["surfaced"]] == list(range(1, queue["used"] + 1))
    one = answer["queues"][0]["rep_id"]
    alone = _get(server, "/api/queues", rep=one).json()
    assert [q["rep_id"] for q in alone["queues"]] == [one]
    # The rep picker's choices: every rep and route target of the run, whichever queue is shown.
    names = dict(demo.sql("SELECT rep_id, name FROM reps WHERE as_of = ?", [as_of]))
    routed = {
        r for (r,) in demo.sql("SELECT route_to FROM account_status WHERE as_of = ? AND queue IS NOT NULL", [as_of])
    }
    reps = sorted((names.keys() | routed) - {None})
    assert answer["reps"] == alone["reps"] == [{"rep_id": r, "name": names.get(r)} for r in reps]


def test_the_model_shows_the_rules_and_the_diff_between_versions(server: Server) -> None:
    model = _get(server, "/api/model").json()
    assert len(model["versions"]) == 2 and model["old"] == model["versions"][0]["hash"]
    changed = [line for line in model["diff"] if line[:1] in "+-" and not line.startswith(("---", "+++"))]
    assert [line.replace(" ", "") for line in changed] == ["-points:25", "+points:26"]
    assert any(rule.startswith("Account fit: +26 when") for rule in model["rules"])


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/api/accounts", {"sort": "name; DROP TABLE runs"}, 422),
        ("/api/accounts", {"per_page": 0}, 422),
        ("/api/accounts", {"colour": "red"}, 422),
        ("/api/accounts", {"as_of": "2001-01-01"}, 404),
        ("/api/accounts/NO-SUCH-ACCOUNT", {}, 404),
        ("/api/queues", {"rep": "nobody"}, 404),
        ("/api/model", {"old": "ffffffff"}, 404),
    ],
)
def test_bad_requests_get_a_clear_answer(server: Server, path: str, params: dict[str, object], status: int) -> None:
    response = _get(server, path, **params)
    assert response.status_code == status
    assert response.json()["detail"]


def test_the_account_story_traces_to_the_store(server: Server, demo: Demo) -> None:
    as_of = demo.sql("SELECT max(as_of) FROM runs")[0][0]
    account_id, fit, engagement = demo.sql(
        "SELECT account_id, fit, engagement FROM account_status WHERE as_of = ? AND badge IS NOT NULL "
        "ORDER BY engagement DESC LIMIT 1",
        [as_of],
    )[0]
    story = _get(server, f"/api/accounts/{account_id}", people=100).json()
    assert sum(r["points"] for r in story["fit_rules"]) == pytest.approx(fit) or fit in (0, 100)
    anonymous = sum(r["points"] for r in story["anonymous_rules"])
    assert story["contacts_engagement"] + story["anonymous_weight"] * anonymous == pytest.approx(engagement, abs=1e-4)
    assert story["contacts"] == len(story["committee"])
    assert sum(p["engagement"] for p in story["committee"]) == pytest.approx(story["contacts_engagement"])
    assert [h["as_of"] for h in story["history"]] == [str(d) for (d,) in demo.sql(
        "SELECT as_of FROM account_status WHERE account_id = ? ORDER BY as_of DESC", [account_id])]  # fmt: skip
    assert story["evidence"] and story["account"]["why"]
    assert story["stages"][-1]["name"] == story["account"]["stage"] and story["stages"][-1]["holds"]


def test_the_csv_download_holds_every_matching_account_in_order(server: Server, demo: Demo) -> None:
    import csv
    import io

    as_of = demo.sql("SELECT max(as_of) FROM runs")[0][0]
    response = _get(server, "/accounts.csv", stage="aware", sort="name", order="asc", page=3, per_page=5)
    assert response.headers["content-disposition"] == f'attachment; filename="whynow-accounts-{as_of}.csv"'
    rows = list(csv.DictReader(io.StringIO(response.text)))
    wanted = demo.sql(
        "SELECT account_id, engagement FROM account_status WHERE as_of = ? AND stage = 'aware' "
        "ORDER BY name, account_id",
        [as_of],
    )
    assert [(r["account_id"], float(r["engagement"])) for r in rows] == wanted  # all pages, unrounded
    assert _get(server, "/accounts.csv", q="no such account").text.strip() == ",".join(
        f'"{c}"' for c in rows[0]
    )  # no match: the header alone


def test_the_committee_pages_through_every_contact(server: Server, demo: Demo) -> None:
    as_of = demo.sql("SELECT max(as_of) FROM runs")[0][0]
    account_id, n = demo.sql(
        "SELECT account_id, count(*) AS n FROM contact_status WHERE as_of = ? GROUP BY 1 ORDER BY n DESC LIMIT 1",
        [as_of],
    )[0]
    first = _get(server, f"/api/accounts/{account_id}", people=3).json()
    assert first["contacts"] == n and first["people_pages"] == -(-n // 3)
    seen = []
    for number in range(1, first["people_pages"] + 1):
        seen += [
            p["contact_id"]
            for p in _get(server, f"/api/accounts/{account_id}", people=3, people_page=number).json()["committee"]
        ]
    assert sorted(seen) == sorted(c for (c,) in demo.sql(
        "SELECT contact_id FROM contact_status WHERE as_of = ? AND account_id = ?", [as_of, account_id]))  # fmt: skip
    assert _get(server, f"/api/accounts/{account_id}", people=101).status_code == 422


def test_a_recorded_backtest_is_listed_and_shows_its_figures_as_stored(server: Server, demo: Demo) -> None:
    """`whynow backtest --store` records the figures; the dashboard reads them back as they were, in order."""
    listed = _get(server, "/api/backtests").json()["backtests"]
    assert [(b["backtest_id"], b["runs"], b["window"], b["models"]) for b in listed] == [
        (BACKTEST_ID, 2, 30, ["reference-saas"])
    ]
    shown = _get(server, f"/api/backtests/{BACKTEST_ID}").json()
    stored = demo.sql(
        'SELECT "group", name, account_dates, outcomes, precision FROM backtest_figures WHERE backtest_id = ? '
        "ORDER BY position",
        [BACKTEST_ID],
    )
    assert [(f["group"], f["name"], f["account_dates"], f["outcomes"], f["precision"]) for f in shown["figures"]] == [
        tuple(row) for row in stored
    ]
    assert shown["figures"][0]["group"] == "overall"
    assert [r["as_of"] for r in shown["per_run"]] == [str(d) for d in WEEKS]
    assert _get(server, "/api/backtests/nope").status_code == 404
