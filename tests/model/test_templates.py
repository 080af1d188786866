"""Narrative templates at load time (SPEC §4.8): what each form reads as, and each bad template's message."""

from __future__ import annotations

import pytest

from whynow.errors import ModelError
from whynow.model.load import load_model_text
from whynow.model.scope import Scope
from whynow.model.templates import Placeholder, Segment, TemplateInvalid, check_template

SCOPE = Scope(
    "account narratives",
    {"account": "text", "arr": "number", "views": "integer", "rival": "text", "renewal_date": "date", "ok": "boolean"},
)


@pytest.mark.parametrize(
    ("template", "parts"),
    [
        pytest.param("{account} renews", (Placeholder("account"), " renews"), id="placeholder"),
        pytest.param("{arr:,.0f}", (Placeholder("arr", ",.0f"),), id="format-spec"),
        pytest.param("{rival|a rival}", (Placeholder("rival", fallback="a rival"),), id="fallback"),
        pytest.param(
            "{arr:,.0f|an unknown amount}", (Placeholder("arr", ",.0f", "an unknown amount"),), id="spec-then-fallback"
        ),
        pytest.param("{rival|}", (Placeholder("rival", fallback=""),), id="empty-fallback"),
        pytest.param("{rival|at 10:30}", (Placeholder("rival", fallback="at 10:30"),), id="colon-in-fallback"),
        pytest.param("{views:plural:view:views}", (Placeholder("views", plural=("view", "views")),), id="plural"),
        pytest.param(
            "{views:plural:person is:people are}",
            (Placeholder("views", plural=("person is", "people are")),),
            id="plural-words-with-spaces",
        ),
        pytest.param("day{views:plural::s}", ("day", Placeholder("views", plural=("", "s"))), id="plural-empty-word"),
        pytest.param("a[, {views} views]", ("a", Segment((", ", Placeholder("views"), " views"))), id="segment"),
        pytest.param("[no placeholder]", (Segment(("no placeholder",)),), id="segment-without-placeholder"),
        pytest.param("[[x]]", ("[x]",), id="brackets"),
        pytest.param("{{x}}", ("{x}",), id="braces"),
        pytest.param("[[[{views}]", ("[", Segment((Placeholder("views"),))), id="bracket-then-segment"),
        pytest.param("[{views}]]]", (Segment((Placeholder("views"), "]")),), id="brackets-read-left-to-right"),
        pytest.param("[a [[b]] c]", (Segment(("a [b] c",)),), id="brackets-inside-a-segment"),
    ],
)
def test_templates_read_into_text_placeholders_and_segments(template, parts):
    assert check_template(template, SCOPE).parts == parts


def test_placeholders_lists_those_in_segments_and_plurals_too():
    template = check_template("{account}[ {views} {views:plural:view:views}][ {rival|x}]", SCOPE)
    assert [p.name for p in template.placeholders] == ["account", "views", "views", "rival"]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        pytest.param("{account}[, {views} views", "column 10: this segment is never closed", id="unclosed-segment"),
        pytest.param(
            "[a [b] c]",
            "column 4: segments do not nest: this '[' is inside the one opened at column 1",
            id="nested-segment",
        ),
        pytest.param("[a [b [c] d] e]", "column 4: segments do not nest", id="nested-twice-one-problem"),
        pytest.param(
            "{account}] now", "column 10: this ']' closes no segment; write ']]' to print a bracket", id="stray-close"
        ),
        pytest.param(
            "{views:plural:view:views|none}",
            "column 25: a plural prints a word, not the value, so it takes no fallback",
            id="plural-with-fallback",
        ),
        pytest.param(
            "{views:plural:view}",
            "column 1: a plural names two words, {views:plural:one:many}; this one has 1 word",
            id="plural-one-word",
        ),
        pytest.param("{views:plural:a:b:c}", "this one has 3 words", id="plural-three-words"),
        pytest.param("{views:plural}", "this one has 0 words", id="plural-no-words"),
        pytest.param(
            "{rival:plural:rival:rivals}", "column 1: a plural counts a number; 'rival' is text", id="plural-of-text"
        ),
        pytest.param("{ok:plural:a:b}", "a plural counts a number; 'ok' is boolean", id="plural-of-boolean"),
        pytest.param("{rival|a|b}", "column 9: a fallback is literal text and cannot hold '|'", id="two-fallbacks"),
        pytest.param(
            "{rival|a [b]}",
            "column 10: a fallback is literal text and cannot hold '['; write brackets outside the braces",
            id="bracket-in-fallback",
        ),
        pytest.param("{rival|a{b}}", "column 9: placeholders do not nest", id="brace-in-fallback"),
        pytest.param("{account", "column 1: this '{' opens a placeholder that never closes", id="unclosed-placeholder"),
        pytest.param(
            "a } b", "column 3: this '}' closes no placeholder; write '}}' to print a brace", id="stray-brace"
        ),
        pytest.param("{account!r}", "column 1: '!r' is not supported in {account}", id="conversion"),
        pytest.param("{account.upper}", "column 1: 'account.upper' is not a plain name", id="attribute"),
        pytest.param("{}", "column 1: empty placeholder {}", id="empty"),
        pytest.param(
            "{acount|x}",
            "column 1: unknown placeholder '{acount}' in account narratives — did you mean 'account'?",
            id="unknown-name-with-fallback",
        ),
        pytest.param("{arr:,.0x}", "column 1: format spec ':,.0x' does not fit arr (number)", id="bad-spec"),
        pytest.param(
            "{arr:>201|x}",
            "format spec ':>201' of arr: width 201 is more than the 200 characters",
            id="width-cap-with-fallback",
        ),
        pytest.param("{arr:.999f}", "precision 999 is more than the 200 characters", id="precision-cap"),
        pytest.param("a\n  b]", "column 4: this ']' closes no segment", id="column-on-its-own-line"),
    ],
)
def test_bad_templates_name_the_column_of_the_fault(template, message):
    with pytest.raises(TemplateInvalid) as caught:
        check_template(template, SCOPE)
    assert message in str(caught.value)
    assert len(caught.value.issues) == 1, caught.value.issues


def test_every_fault_in_a_template_is_reported():
    with pytest.raises(TemplateInvalid) as caught:
        check_template("{nope} ] {views:plural:a:b|c} [", SCOPE)
    assert [i.message.split(":")[0] for i in caught.value.issues] == ["column 1", "column 8", "column 27", "column 31"]


def test_whynow_check_names_the_badge_and_the_column():
    model = (
        "model: t\nbadges:\n  definitions:\n    - id: growing\n      archetype: change\n      label: G\n"
        "      when: fit > 1\n      play: p\n      why: '{account} is growing[, {engaged_contacts} people'\n"
    )
    with pytest.raises(ModelError) as caught:
        load_model_text(model, "model.yaml")
    assert str(caught.value).splitlines()[:3] == [
        "model.yaml:9: badge 'growing': column 21: this segment is never closed; end it with ']', or write '[[' "
        "to print a bracket",
        "    {account} is growing[, {engaged_contacts} people",
        "                        ^",
    ]
