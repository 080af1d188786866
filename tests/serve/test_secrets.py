"""The dashboard never needs the alert channels' secrets (SPEC §8): a store whose model takes them from
`${…}` variables serves every page and API call where those are unset, and where they are set, no page
shows their values — nor the secrets written in the model file itself."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.serve.conftest import WEEKS, in_process
from whynow.demo import generate_demo_data
from whynow.examples import reference_model_path
from whynow.model.load import load_model_text
from whynow.run import run
from whynow.serve import query
from whynow.serve.app import create_app
from whynow.store import Store

SECRETS = {
    "WHYNOW_TEST_SLACK_HOOK": "https://hooks.example/T0/B0/s3cret-hook",
    "WHYNOW_TEST_WEBHOOK_URL": "https://zap.example/s3cret-path",
    "WHYNOW_TEST_WEBHOOK_SECRET": "s3cret-signing-key",
}
# literal secrets in the model's text: the last run's bot token, the first's, and a variable's default
WRITTEN = ("xoxb-s3cret-written-in-the-file", "xoxb-s3cret-before", "default-s3cret")
ALERTS = """alerts:
  slack:
    webhook_url: ${WHYNOW_TEST_SLACK_HOOK}
    bot_token: BOT
    on: [surfaced]
  webhook: {url: "${WHYNOW_TEST_WEBHOOK_URL}", secret: "${WHYNOW_TEST_WEBHOOK_SECRET:-default-s3cret}"}
"""


def _model(bot_token: str, points: int) -> str:
    text = reference_model_path().read_text().replace("points: 25", f"points: {points}", 1)
    return text[: text.index("\nalerts:") + 1] + ALERTS.replace("BOT", bot_token)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two runs, the second with a changed model (so the Model page has a diff touching a secret), made where
    the secrets were set."""
    folder = tmp_path_factory.mktemp("secrets")
    generate_demo_data(folder, seed=3, accounts=80)
    location = folder / "whynow.duckdb"
    with pytest.MonkeyPatch.context() as env:
        for name, value in SECRETS.items():
            env.setenv(name, value)
        for as_of, token, points in zip(WEEKS, WRITTEN[1::-1], (25, 26), strict=True):
            model = load_model_text(_model(token, points))
            assert (
                model.spec.alerts.slack is not None
                and model.spec.alerts.slack.webhook_url == SECRETS["WHYNOW_TEST_SLACK_HOOK"]
            )
            run(model, str(folder), as_of, store=location, fresh=as_of == WEEKS[0], send_alerts=False)
    return location


def _paths(store: Path) -> list[str]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        account, rep = con.execute(
            "SELECT account_id, route_to FROM account_status WHERE as_of = ? AND queue = 'surfaced' "
            "ORDER BY account_id LIMIT 1",
            [WEEKS[1]],
        ).fetchone() or ("", "")
    finally:
        con.close()
    return [
        "/", "/queues", f"/queues?rep={rep}", "/queues.csv", "/accounts", "/accounts.csv", f"/accounts/{account}",
        "/changes", "/runs", "/model", "/api/overview", "/api/queues", "/api/accounts", f"/api/accounts/{account}",
        "/api/changes", "/api/runs", "/api/model",
    ]  # fmt: skip


@pytest.mark.parametrize("secrets_set", [False, True], ids=["unset", "set"])
def test_every_page_answers_and_shows_no_secret(
    store: Path, monkeypatch: pytest.MonkeyPatch, secrets_set: bool
) -> None:
    for name, value in SECRETS.items():
        if secrets_set:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)
    query._compiled.cache_clear()  # the model as loaded where this dashboard runs
    client = in_process(create_app(Store(store)))
    for path in _paths(store):
        response = client.get(path)
        assert response.status_code == 200, f"{path}: {response.text[:300]}"
        for secret in (*SECRETS.values(), *WRITTEN):
            assert secret not in response.text, f"{path} shows {secret}"
    shown = client.get("/api/model").json()
    assert "webhook_url: ${WHYNOW_TEST_SLACK_HOOK}" in shown["text"]  # the variable's name is no secret
    assert 'bot_token: "***"' in shown["text"] and shown["diff"]
    assert "Alerts: Slack on, webhook on" in shown["rules"]
