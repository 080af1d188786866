"""The model's `links:` (SPEC §4.1, §5): URL templates of the CRM's record pages, checked at load time."""

from __future__ import annotations

import pytest

from whynow.errors import ModelError
from whynow.model.describe import describe_model
from whynow.model.load import load_model_text

SF = "https://acme.lightning.force.com/lightning/r"


def _model(links: str, columns: str = "") -> str:
    return f"model: m\n{columns}links:\n{links}"


def _problems(text: str) -> list[str]:
    with pytest.raises(ModelError) as raised:
        load_model_text(text, "m.yaml")
    return [p.render() for p in raised.value.problems]


def test_no_links_by_default() -> None:
    model = load_model_text("model: m\n")
    assert model.links == {}
    assert not any("CRM" in line for line in describe_model(model))


def test_templates_name_ids_carried_and_declared_columns() -> None:
    model = load_model_text(
        _model(
            f"  account: {SF}/Account/{{account_id}}/view?owner={{owner_id}}&n={{name}}&t={{tier}}&k={{sf_key}}\n"
            f"  contact: {SF}/Contact/{{contact_id}}/view#{{account_id}}\n"
            "  opportunity: https://crm.example/deals/{opportunity_id}?stage={stage}\n",
            columns="columns:\n  accounts: {sf_key: text}\n",
        )
    )
    assert model.links["account"].columns == ("account_id", "owner_id", "name", "tier", "sf_key")
    assert model.links["contact"].columns == ("contact_id", "account_id")
    assert model.links["opportunity"].columns == ("opportunity_id", "stage")


def test_an_empty_template_is_no_link() -> None:
    """`account: ${CRM_ACCOUNT_URL:-}` turns the link off where the variable is not set."""
    model = load_model_text(_model('  account: ${WHYNOW_TEST_UNSET_CRM_URL:-}\n  contact: ""\n'))
    assert model.links == {}


@pytest.mark.parametrize(
    ("template", "line", "caret"),
    [
        pytest.param(
            f"{SF}/Account/{{acount_id}}/view",
            "links.account: unknown column '{acount_id}' for an account link — did you mean 'account_id'?",
            "{acount_id}",
            id="typo",
        ),
        pytest.param(
            "https://crm.example/a/{domain}",
            "links.account: '{domain}' is an accounts column that whynow's outputs do not carry; declare it "
            "(columns: accounts: {domain: text}) to use it in a link",
            "{domain}",
            id="canonical-not-carried",
        ),
        pytest.param(
            "javascript:alert({account_id})",
            "links.account: a link must be an http:// or https:// URL, not 'javascript:'",
            "javascript",
            id="javascript",
        ),
        pytest.param(
            "https://{name}.crm.example/a/{account_id}",
            "links.account: the scheme and host are fixed: a placeholder may stand only in the path, query or fragment",
            "{name}",
            id="placeholder-in-host",
        ),
        pytest.param(
            "https:///a/{account_id}",
            "links.account: a link needs a host: https://crm.example.com/…",
            None,
            id="no-host",
        ),
        pytest.param(
            "https://crm.example/accounts",
            "links.account: no placeholder: every account would open this one page; name a column, e.g. {account_id}",
            None,
            id="no-placeholder",
        ),
        pytest.param(
            "https://crm.example/a/{account_id:>9}",
            "links.account: '{account_id:>9}' is not a column placeholder; write {column}, or %7B and %7D for literal "
            "braces",
            "{account_id:>9}",
            id="format-spec",
        ),
        pytest.param(
            "https://crm.example/a/{account_id}}",
            "links.account: a lone '}'; placeholders are {column}, a literal brace is %7B or %7D",
            "}",
            id="lone-brace",
        ),
        pytest.param(
            "https://crm.example/a/{account_id} x",
            "links.account: a URL holds no spaces; write %20",
            " ",
            id="space",
        ),
    ],
)
def test_a_bad_template_is_one_problem_naming_file_line_and_spot(template: str, line: str, caret: str | None) -> None:
    problems = _problems(_model(f"  contact: https://crm.example/c/{{contact_id}}\n  account: '{template}'\n"))
    assert len(problems) == 1, problems
    head, *shown = problems[0].splitlines()
    assert head == f"m.yaml:4: {line}"
    if caret is not None:
        text, marks = shown
        start = text.index("^") if "^" in text else marks.index("^")
        assert text[start : start + len(caret)] == caret and marks.strip() == "^" * len(caret)


def test_every_bad_link_is_reported_together() -> None:
    problems = _problems(
        _model("  account: https://crm.example/{acount_id}\n  contact: 'ftp://crm.example/{contact_id}'\n")
    )
    assert [p.splitlines()[0] for p in problems] == [
        "m.yaml:3: links.account: unknown column '{acount_id}' for an account link — did you mean 'account_id'?",
        "m.yaml:4: links.contact: a link must be an http:// or https:// URL, not 'ftp:'",
    ]


def test_contacts_name_their_declared_columns_not_the_accounts() -> None:
    problems = _problems(_model("  contact: https://crm.example/c/{owner_id}\n"))
    assert problems == [
        "m.yaml:3: links.contact: unknown column '{owner_id}' for a contact link\n"
        "    https://crm.example/c/{owner_id}\n"
        "                          ^^^^^^^^^^"
    ]
    declared = load_model_text(
        _model("  contact: https://crm.example/c/{email}\n", columns="columns:\n  contacts: {email: text}\n")
    )
    assert declared.links["contact"].columns == ("email",)


def test_an_unknown_level_is_a_schema_error_with_a_did_you_mean() -> None:
    problems = _problems(_model("  acount: https://crm.example/a/{account_id}\n"))
    assert problems == ["m.yaml:3: links.acount: unknown key 'acount' — did you mean 'account'?"]


def test_check_describes_the_links() -> None:
    model = load_model_text(_model(f"  account: {SF}/Account/{{account_id}}/view\n"))
    assert list(describe_model(model))[-1] == (
        f"Open in CRM, for each account: {SF}/Account/{{account_id}}/view (with its account_id, URL-encoded)"
    )
