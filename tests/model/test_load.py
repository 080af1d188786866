"""Loading a model: the reference model loads; every kind of mistake is reported with file, line, rule.

Each bad-model case runs `whynow check` in-process and asserts what the user reads on stderr.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from whynow.cli import app
from whynow.errors import ModelError
from whynow.examples import reference_model_path
from whynow.model.load import load_model, load_model_text, mask_secrets

SHARED_MODEL = Path(__file__).resolve().parents[3] / "shared" / "examples" / "model.yaml"

GOOD_RULE = """\
model: t
fit:
  account:
    - name: Target industry
      when: industry IN ('Software')
      points: 25
"""


def check(tmp_path: Path, text: str) -> tuple[int, str, Path]:
    path = tmp_path / "model.yaml"
    path.write_text(textwrap.dedent(text))
    result = CliRunner().invoke(app, ["check", str(path)])
    return result.exit_code, result.stderr, path


def test_reference_model_loads() -> None:
    model = load_model(reference_model_path())
    assert model.name == "reference-saas"
    assert len(model.spec.badges.definitions) == 10
    assert model.signals["competitor_research"].type == "number"
    assert model.signals["uses_salesforce"].type == "boolean"
    assert model.signals["person_competitor_research"].level == "contact"


@pytest.mark.skipif(not SHARED_MODEL.exists(), reason="../shared is not beside this checkout")
def test_packaged_reference_model_is_the_shared_one_but_its_narratives() -> None:
    """The packaged narratives use SPEC §4.8's forms (issue #20); every rule else is the shared model's, and
    the shared model still loads."""

    def without_narratives(text: str) -> dict:
        model = yaml.safe_load(text)
        for definition in model["badges"]["definitions"]:
            definition.pop("why")
        return model

    assert without_narratives(reference_model_path().read_text()) == without_narratives(SHARED_MODEL.read_text())
    load_model(SHARED_MODEL)


def test_defaults_fill_a_minimal_model() -> None:
    model = load_model_text(GOOD_RULE)
    spec = model.spec
    assert spec.engagement.lookback_days == 365
    assert spec.engagement.anonymous_weight == 1
    assert spec.engagement.half_life_days is None
    assert spec.buying_committee.engaged_within_days == 30
    assert spec.accounts.target_when == "true"
    assert [s.stage for s in spec.journey][:3] == ["post_sale", "opportunity", "mqa"]
    assert spec.badges.precedence == ["customer", "competitive", "change"]
    assert model.motions["change"] == "Land early and shape the narrative"
    assert spec.capacity.default_per_rep == 30 and spec.capacity.rank_by == "fit + engagement"
    assert model.grades == (("A", 80), ("B", 60), ("C", 40)) and model.fallback_grade == "D"


def test_env_interpolation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHYNOW_TEST_POINTS", "30")
    monkeypatch.setenv("WHYNOW_TEST_HOOK", "https://hooks.example/x")
    model = load_model_text(
        GOOD_RULE.replace("points: 25", "points: ${WHYNOW_TEST_POINTS}")
        + "alerts:\n  slack:\n    webhook_url: ${WHYNOW_TEST_HOOK}\n  webhook:\n    url: ${WHYNOW_TEST_UNSET:-}\n"
    )
    assert model.spec.fit.account[0].points == 30
    assert model.spec.alerts.slack is not None and model.spec.alerts.slack.webhook_url == "https://hooks.example/x"
    assert model.spec.alerts.webhook is not None and model.spec.alerts.webhook.url == ""


def test_yaml_on_key_is_not_a_boolean() -> None:
    model = load_model_text("model: t\nalerts:\n  slack:\n    on: [surfaced, held]\n")
    assert model.spec.alerts.slack is not None and model.spec.alerts.slack.on == ["surfaced", "held"]


BAD_MODELS = [
    pytest.param(
        "model: t\nfit:\n  account:\n    - name: x\n      when: [unclosed\n",
        6,
        None,
        "YAML syntax error",
        id="yaml-syntax",
    ),
    pytest.param(
        "model: t\nfitt: {}\n", 2, "fitt", "unknown section 'fitt' — did you mean 'fit'?", id="unknown-section"
    ),
    pytest.param(
        GOOD_RULE + "      wen: x\n",
        7,
        "account fit rule 'Target industry'",
        "unknown key 'wen' — did you mean 'when'?",
        id="unknown-key",
    ),
    pytest.param(
        GOOD_RULE.replace("points: 25", "points: ten"),
        6,
        "account fit rule 'Target industry'",
        "points must be a number, not 'ten'",
        id="wrong-type",
    ),
    pytest.param(
        GOOD_RULE + "    - name: Target industry\n      when: employees > 1\n      points: 1\n",
        7,
        "account fit rule 'Target industry'",
        "rule name 'Target industry' is used twice",
        id="duplicate-rule",
    ),
    pytest.param(
        "model: t\nbadges:\n  definitions:\n"
        + 2 * ("    - {id: b, archetype: change, label: B, when: fit > 1, play: p, why: x}\n"),
        5,
        "badge 'b'",
        "badge id 'b' is used twice",
        id="duplicate-badge",
    ),
    pytest.param(
        "model: t\nbadges:\n  definitions:\n    - id: b\n      archetype: custmer\n      label: B\n"
        "      when: fit > 1\n      play: p\n      why: x\n",
        5,
        "badge 'b'",
        "'custmer' is not allowed for archetype — did you mean 'customer'?",
        id="unknown-archetype",
    ),
    pytest.param(
        GOOD_RULE.replace("industry IN", "industy IN"),
        5,
        "account fit rule 'Target industry'",
        "unknown name 'industy' in account fit rules — did you mean 'industry'?",
        id="unknown-column",
    ),
    pytest.param(
        "model: t\naccounts:\n  mqa_when: engaged_contact >= 4\n",
        3,
        "accounts.mqa_when",
        "unknown name 'engaged_contact' in MQA conditions — did you mean 'engaged_contacts'?",
        id="unknown-measure",
    ),
    pytest.param(
        "model: t\nsignals:\n  competitor_research: {from: intent, measure: max(score)}\n"
        "accounts:\n  target_when: competitor_reserch > 50\n",
        5,
        "accounts.target_when",
        "did you mean 'competitor_research'?",
        id="unknown-signal",
    ),
    pytest.param(
        GOOD_RULE.replace("industry IN ('Software')", "employees > (SELECT 1)"),
        5,
        "account fit rule 'Target industry'",
        "sub-queries are not allowed",
        id="subquery",
    ),
    pytest.param(
        GOOD_RULE.replace("industry IN ('Software')", '"industry = 1; DROP TABLE accounts"'),
        5,
        "account fit rule 'Target industry'",
        "';' and statements are not allowed",
        id="statement",
    ),
    pytest.param(
        GOOD_RULE.replace("industry IN ('Software')", "md5(industry) = 'x'"),
        5,
        "account fit rule 'Target industry'",
        "function 'md5' is not allowed",
        id="forbidden-function",
    ),
    pytest.param(
        "model: t\nbadges:\n  definitions:\n    - id: b\n      archetype: change\n      label: B\n"
        "      when: fit > 1\n      play: p\n      why: '{account} has {engagment} points'\n",
        9,
        "badge 'b'",
        "unknown placeholder '{engagment}' in account narratives — did you mean 'engagement'?",
        id="unknown-placeholder",
    ),
    pytest.param(
        "model: t\nsignals:\n  s: {from: intnet, measure: count}\n",
        3,
        "signal 's'",
        "'intnet' is not allowed for from — did you mean 'intent'?",
        id="signal-unknown-table",
    ),
    pytest.param(
        "model: t\nsignals:\n  s:\n    from: intent\n    measure: maximum(score)\n",
        5,
        "signal 's'",
        "unknown measure 'maximum'",
        id="signal-unknown-measure",
    ),
    pytest.param(
        "model: t\nalerts:\n  slack:\n    webhook_url: ${WHYNOW_SURELY_UNSET_VAR}\n",
        4,
        "alerts.slack.webhook_url",
        "environment variable WHYNOW_SURELY_UNSET_VAR is not set",
        id="env-unset",
    ),
]


@pytest.mark.parametrize(("text", "line", "rule", "message"), BAD_MODELS)
def test_bad_model_is_reported(tmp_path: Path, text: str, line: int, rule: str | None, message: str) -> None:
    code, stderr, path = check(tmp_path, text)
    assert code == 1
    flat = " ".join(stderr.split())
    assert f"{path}:{line}:" in flat
    if rule is not None:
        assert f"{path}:{line}: {rule}:" in flat
    assert message in flat
    assert "Traceback" not in stderr


def test_condition_error_shows_caret_under_the_name(tmp_path: Path) -> None:
    _, stderr, _ = check(tmp_path, GOOD_RULE.replace("industry IN", "industy IN"))
    lines = stderr.splitlines()
    text_line = next(i for i, line in enumerate(lines) if line.strip().startswith("industy IN"))
    caret = lines[text_line + 1]
    assert caret.index("^") == lines[text_line].index("industy")
    assert caret.strip() == "^" * len("industy")


def test_every_problem_is_reported_together(tmp_path: Path) -> None:
    text = """\
    model: t
    fitt: {}
    fit:
      account:
        - name: A
          when: industy = 'x'
          points: 1
        - name: B
          when: employees > 1
          points: ten
    signals:
      s: {from: intnet, measure: count}
    """
    code, stderr, _ = check(tmp_path, text)
    assert code == 1
    for expected in ("unknown section 'fitt'", "unknown name 'industy'", "points must be a number", "'intnet'"):
        assert expected in stderr
    assert "4 problems in the model" in stderr


def test_problems_are_ordered_by_line() -> None:
    with pytest.raises(ModelError) as raised:
        load_model_text("model: t\nfitt: {}\naccounts:\n  mqa_when: nope > 1\n")
    assert [p.line for p in raised.value.problems] == [2, 4]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "model: t\nengagement: {lookback_days: 20}\nbuying_committee: {engaged_within_days: 30}\n",
            "engaged_within_days (30) may not exceed engagement.lookback_days (20)",
            id="engaged-window",
        ),
        pytest.param(
            "model: t\nbadges: {precedence: [customer, change]}\n", "each archetype exactly once", id="precedence"
        ),
        pytest.param("model: t\ncapacity: {rank_by: fit_grade}\n", "this must be a number", id="rank-by-numeric"),
        pytest.param(
            "model: t\nsignals: {fit: {from: intent, measure: count}}\n",
            "signal 'fit' has the name of a account column, measure or placeholder",
            id="signal-clash",
        ),
        pytest.param(
            "model: t\nbuying_committee: {roles: {contacts: \"title = 'x'\"}}\n",
            "would make a measure engaged_contacts that already exists",
            id="role-clash",
        ),
        pytest.param(
            "model: t\nsignals: {s: {from: change_events, measure: count, level: contact}}\n",
            "level: contact needs a table with contact_id",
            id="contact-level",
        ),
        pytest.param(
            "model: t\nsignals: {s: {from: opportunities, where: is_won, measure: count}}\n",
            "'is_won' is what the deal became after the as-of date; use `open` or `won`",
            id="opportunity-future-hidden",
        ),
        pytest.param(
            "model: t\njourney: [{stage: a}, {stage: b, when: mqa}]\n",
            "only the last stage may omit",
            id="journey-catch-all-not-last",
        ),
        pytest.param(
            "model: t\nbadges: {definitions: [{id: b, archetype: change, label: B, when: fit > 1, "
            "play: p, route_to: nope, why: x}]}\n",
            "route_to must name an accounts column",
            id="route-to",
        ),
        pytest.param(
            "model: t\nbadges: {definitions: [{id: b, archetype: change, label: B, when: fit > 1, "
            "play: p, why: '{fit:,.0x}'}]}\n",
            "format spec ':,.0x' does not fit fit",
            id="format-spec",
        ),
        pytest.param(
            "model: t\nleads: {mql_when: lead_status = 'mql'}\n",
            "unknown name 'lead_status'",
            id="lead-status-not-in-leads",
        ),
        pytest.param(
            "model: t\naccounts: {target_when: mqa}\n", "unknown name 'mqa' in target_when", id="mqa-not-in-target"
        ),
        pytest.param("model: t\nfit: {grades: {Hot: 80}}\n", "grades are single capital letters", id="grades"),
    ],
)
def test_load_time_checks(text: str, message: str) -> None:
    with pytest.raises(ModelError) as raised:
        load_model_text(text, "m.yaml")
    assert message in str(raised.value)


def test_opportunity_signals_see_open_and_won() -> None:
    model = load_model_text("model: t\nsignals: {o: {from: opportunities, where: open AND NOT won, measure: count}}\n")
    assert model.signals["o"].where is not None


def test_declared_columns_are_usable() -> None:
    model = load_model_text(
        "model: t\ncolumns: {accounts: {segment: text, nps: number}}\n"
        "fit:\n  account:\n    - {name: SMB, when: \"segment = 'smb' AND nps > 30\", points: 5}\n"
    )
    assert model.condition("fit", "account", 0, "when") is not None


def test_env_variables_work_inside_flow_mappings(monkeypatch: pytest.MonkeyPatch) -> None:
    """SPEC §4.1 writes `alerts: {slack: {webhook_url: ${ENV_VAR}, on: [surfaced]}}` on one line."""
    monkeypatch.setenv("ENV_VAR", "https://hooks.example/T0/B0/x")
    monkeypatch.setenv("WHYNOW_TEST_POINTS", "7")
    model = load_model_text(
        "model: t\nfit: {account: [{name: a, when: employees > 1, points: ${WHYNOW_TEST_POINTS}}]}\n"
        "alerts: {slack: {webhook_url: ${ENV_VAR}, on: [surfaced]}}\n"
    )
    assert model.spec.alerts.slack is not None
    assert model.spec.alerts.slack.webhook_url == "https://hooks.example/T0/B0/x"
    assert model.spec.fit.account[0].points == 7


def test_env_values_stay_text_and_secrets_are_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHYNOW_TEST_SECRET", "0123")
    model = load_model_text("model: t\nalerts:\n  webhook:\n    secret: ${WHYNOW_TEST_SECRET}\n")
    assert model.spec.alerts.webhook is not None and model.spec.alerts.webhook.secret == "0123"
    with pytest.raises(ModelError) as raised:
        load_model_text("model: t\nalerts:\n  webhook:\n    secret: [s3cr3t-value]\n")
    assert "s3cr3t" not in str(raised.value)
    assert "secret must be text" in str(raised.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("model: !!python/object:os.system x\n", "YAML: could not determine a constructor", id="yaml-tag"),
        pytest.param("fit: {}\n", "'model' is required here", id="no-model-name"),
        pytest.param("model: ''\n", "model must not be empty", id="empty-model-name"),
        pytest.param("model: t\nfit: 5\n", "fit must be a mapping (key: value lines), not 5", id="section-not-mapping"),
        pytest.param(
            "model: t\nfit: {account: [{name: a, when: x > 1, points: true}]}\n",
            "points must be a number, not true/false",
            id="boolean-points",
        ),
        pytest.param(
            "model: t\ncolumns: {accounts: {engagement: number}}\n",
            "'engagement' is the name of a built-in account measure",
            id="column-named-like-measure",
        ),
        pytest.param(
            "model: t\nsignals: {account: {from: intent, measure: count}}\n",
            "signal 'account' has the name of a account column, measure or placeholder",
            id="signal-named-like-placeholder",
        ),
        pytest.param("model: t\ncapacity: {per_role: {AE: -1}}\n", "must be at least 0", id="negative-capacity"),
        pytest.param(
            "model: t\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
            "expands to over 50000 values",
            id="alias-bomb",
        ),
    ],
)
def test_odd_yaml_is_a_model_error(text: str, message: str) -> None:
    with pytest.raises(ModelError) as raised:
        load_model_text(text, "m.yaml")
    assert message in str(raised.value)


def test_a_missing_model_name_is_reported_once() -> None:
    with pytest.raises(ModelError) as raised:
        load_model_text("fit: {}\n", "m.yaml")
    assert len(raised.value.problems) == 1


def test_unquoted_true_is_a_condition() -> None:
    assert load_model_text("model: t\naccounts: {target_when: true}\n").condition("accounts", "target_when")


def test_fallback_grade_follows_the_highest_letter() -> None:
    model = load_model_text("model: t\nfit: {grades: {B: 60, A: 80}}\n")
    assert model.grades == (("A", 80), ("B", 60)) and model.fallback_grade == "C"


def test_a_rule_set_aside_does_not_cause_follow_on_errors() -> None:
    with pytest.raises(ModelError) as raised:
        load_model_text(
            "model: t\nengagement: {lookback_days: ten}\nbuying_committee:\n  engaged_within_days: 400\n"
            "  roles: {champion: [1]}\naccounts: {mqa_when: engaged_champion >= 1}\n",
            "m.yaml",
        )
    messages = [p.message for p in raised.value.problems]
    assert len(messages) == 2, messages


def test_a_model_loaded_for_display_needs_no_variable_and_holds_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard loads the stored model with display=True (SPEC §8): nothing under `alerts` is read from
    the environment; other variables resolve, an unset one is left as written or takes the key's default."""
    monkeypatch.setenv("WHYNOW_TEST_HOOK", "https://hooks.example/s3cret")
    monkeypatch.setenv("WHYNOW_TEST_POINTS", "30")
    monkeypatch.delenv("WHYNOW_TEST_UNSET", raising=False)
    text = (
        GOOD_RULE.replace("points: 25", "points: ${WHYNOW_TEST_POINTS}")
        + "capacity: {default_per_rep: '${WHYNOW_TEST_UNSET}', unassigned: 2}\n"
        + "alerts:\n  slack:\n    webhook_url: ${WHYNOW_TEST_HOOK}\n    bot_token: ${WHYNOW_TEST_OFF:-}\n"
        + "    timeout_s: ${WHYNOW_TEST_HOOK:-5}\n  webhook:\n    url: ${WHYNOW_TEST_UNSET}\n"
    )
    with pytest.raises(ModelError, match="WHYNOW_TEST_UNSET is not set"):
        load_model_text(text)
    model = load_model_text(text, display=True)
    slack, webhook = model.spec.alerts.slack, model.spec.alerts.webhook
    assert slack is not None and (slack.webhook_url, slack.bot_token, slack.timeout_s) == ("***", "", 10.0)
    assert webhook is not None and webhook.url == "${WHYNOW_TEST_UNSET}"  # named, so on, as where it ran
    assert model.spec.fit.account[0].points == 30
    assert (model.spec.capacity.default_per_rep, model.spec.capacity.unassigned) == (30, 2)  # the default
    assert model.text == text and "s3cret" not in repr(model.spec)


def test_mask_secrets_hides_the_values_of_secret_keys_and_keeps_the_rest() -> None:
    text = textwrap.dedent(
        """\
        model: t  # a webhook_url: in a comment is left alone
        alerts:
          slack:
            webhook_url: ${WHYNOW_SLACK_WEBHOOK:-}
            bot_token: "xoxb-1"
            channel: "#revenue"
          webhook: {url: "https://zap.example/${KEY}", secret: '${S:-fallback}', on: [surfaced]}
          link: ${WHYNOW_URL:-http://127.0.0.1:8000}
        push:
          salesforce:
            client_secret: |
              two
              lines
            password: ${PASSWORD}
        """
    )
    assert mask_secrets(text) == textwrap.dedent(
        """\
        model: t  # a webhook_url: in a comment is left alone
        alerts:
          slack:
            webhook_url: ${WHYNOW_SLACK_WEBHOOK:-}
            bot_token: "***"
            channel: "#revenue"
          webhook: {url: "***", secret: "***", on: [surfaced]}
          link: ${WHYNOW_URL:-http://127.0.0.1:8000}
        push:
          salesforce:
            client_secret: "***"
            password: ${PASSWORD}
        """
    )
    assert mask_secrets("alerts: [\n  bot_token: xoxb-1\n") == 'alerts: [\n  bot_token: "***"\n'  # not YAML
