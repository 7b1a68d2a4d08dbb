"""The SCIM filter language (RFC 7644 section 3.4.2.2) and PATCH paths (RFC 7644 section 3.5.2)."""

from __future__ import annotations

import random

import pytest

from scim.errors import InvalidFilter, InvalidPath
from scim.service.filters.evaluator import matches
from scim.service.filters.parser import parse_filter, parse_patch_path
from scim.service.filters.tree import (
    And,
    AttrPath,
    Comparison,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
    equalities_of_conjunction,
)

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"

USER = {
    "id": "2819c223-7f76-453a-919d-413861904646",
    "userName": "Bjensen",
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "title": "",
    "active": True,
    "loginCount": 7,
    "emails": [
        {"value": "bjensen@example.com", "type": "work", "primary": True},
        {"value": "babs@jensen.org", "type": "home"},
    ],
    "schemasSeen": ["alpha", "Beta"],
    "meta": {"lastModified": "2011-05-13T04:42:34Z"},
    ENTERPRISE: {"employeeNumber": "701984", "manager": {"value": "26118915"}},
}


def path(attribute: str, sub_attribute: str | None = None, schema: str | None = None) -> AttrPath:
    return AttrPath(schema, attribute, sub_attribute)


def case_insensitive(_: AttrPath) -> bool:
    return False


def matches_user(text: str, resource: dict | None = None) -> bool:
    return matches(parse_filter(text), USER if resource is None else resource, case_exact=case_insensitive)


def invalid_filter_detail(text: str, **limits: int) -> str:
    with pytest.raises(InvalidFilter) as raised:
        parse_filter(text, **limits)
    return raised.value.detail


# Parsing filters


def test_entra_user_filter_parses():
    assert parse_filter('userName eq "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081"') == Comparison(
        path("userName"), "eq", "Test_User_dfeef4c5-5681-4387-b016-bdf221e82081"
    )


def test_operators_are_case_insensitive():
    assert parse_filter('userName EQ "a" And title Pr') == And(
        Comparison(path("userName"), "eq", "a"), Present(path("title"))
    )


def test_precedence_and_binds_tighter_than_or():
    assert parse_filter("a pr or b pr and c pr") == Or(Present(path("a")), And(Present(path("b")), Present(path("c"))))


def test_parentheses_override_precedence():
    assert parse_filter("(a pr or b pr) and c pr") == And(
        Or(Present(path("a")), Present(path("b"))), Present(path("c"))
    )


def test_not_applies_to_a_parenthesised_filter():
    assert parse_filter('not (userName eq "a")') == Not(Comparison(path("userName"), "eq", "a"))


def test_not_without_parentheses_is_invalid_filter():
    assert "expected '(' after 'not'" in invalid_filter_detail('not userName eq "a"')


def test_not_is_an_attribute_name_when_an_operator_follows():
    assert parse_filter("not pr") == Present(path("not"))


def test_sub_attribute_path_parses():
    assert parse_filter('name.familyName co "O\'Malley"') == Comparison(path("name", "familyName"), "co", "O'Malley")


def test_urn_qualified_path_splits_at_last_colon():
    assert parse_filter(f'{ENTERPRISE}:manager.value eq "x"').path == AttrPath(ENTERPRISE, "manager", "value")


def test_ref_is_an_attribute_name():
    assert parse_filter('members[$ref eq "x"]').filter.path == path("$ref")


def test_json_literals_become_python_values():
    values = [parse_filter(f"x eq {literal}").value for literal in ("true", "FALSE", "null", "42", "-1.5e2")]

    assert values == [True, False, None, 42, -150.0]


def test_string_values_decode_json_escapes():
    assert parse_filter(r'x eq "a\"b\\c\u00e9"').value == 'a"b\\cé'


def test_extra_whitespace_between_tokens_is_accepted():
    assert parse_filter('  userName \t eq   "a"  ') == Comparison(path("userName"), "eq", "a")


def test_value_path_filter_parses_with_relative_names():
    assert parse_filter('emails[type eq "work" and value co "@example.com"]') == ValuePath(
        path("emails"),
        And(Comparison(path("type"), "eq", "work"), Comparison(path("value"), "co", "@example.com")),
    )


def test_long_chains_stay_shallow_enough_to_compare_and_print():
    tree = parse_filter(" or ".join(["a pr"] * 500))

    assert tree == parse_filter(" or ".join(["a pr"] * 500))
    assert repr(tree)


# Refusing filters


def test_unterminated_string_is_invalid_filter_with_position():
    assert invalid_filter_detail('userName eq "abc') == "unterminated string starting at position 12"


def test_unexpected_token_is_reported_with_position():
    assert invalid_filter_detail('userName eq "x" foo').startswith("unexpected 'foo' at position 16")


def test_unknown_operator_is_invalid_filter():
    assert "expected an operator" in invalid_filter_detail('userName like "x"')


def test_missing_value_is_reported_at_the_end():
    assert invalid_filter_detail("userName eq").startswith("unexpected end of filter at position 11")


def test_ordering_a_boolean_is_invalid_filter():
    assert "cannot order by true" in invalid_filter_detail("active gt true")


def test_nested_value_filters_are_invalid_filter():
    assert "do not nest" in invalid_filter_detail('emails[type[value eq "x"] pr]')


def test_qualified_names_inside_brackets_are_invalid_filter():
    assert "inside '[...]'" in invalid_filter_detail('emails[emails.type eq "work"]')


def test_filter_longer_than_limit_is_refused():
    assert invalid_filter_detail("a pr" + " " * 4093) == "filter longer than 4096 characters"


def test_filter_of_exactly_the_limit_is_accepted():
    assert parse_filter("a pr" + " " * 4092) == Present(path("a"))


def test_filter_deeper_than_limit_is_refused():
    assert invalid_filter_detail("(" * 33 + "a pr" + ")" * 33) == "filter nested deeper than 32 levels"


def test_filter_as_deep_as_limit_is_accepted():
    assert parse_filter("(" * 32 + "a pr" + ")" * 32) == Present(path("a"))


def test_brackets_count_towards_depth():
    assert "nested deeper than 2 levels" in invalid_filter_detail('((emails[type eq "x"]))', max_depth=2)


MALFORMED_FILTERS = [
    "",
    "   ",
    "userName",
    "userName eq",
    'eq "x"',
    '"x" eq userName',
    'userName eq "x" and',
    'userName eq "x" or or title pr',
    'and userName eq "x"',
    "userName eq bare",
    "userName eq 01",
    "userName eq 1.",
    "userName eq .5",
    "userName eq +1",
    "userName eq True1",
    'userName eq "x" "y"',
    'userName eq "x\\q"',
    'userName eq "abc',
    '"',
    '(userName eq "x"',
    'userName eq "x")',
    "()",
    "not ()",
    'not userName eq "x"',
    "not",
    'emails[type eq "x"',
    'emails type eq "x"]',
    "emails[]",
    'name.givenName[type eq "x"]',
    "a.b.c pr",
    "1abc pr",
    "-name pr",
    "na%me pr",
    ":name pr",
    "urn: pr",
    "urn:x:1abc pr",
    "http://x:name pr",
    "name. pr",
    "title pr pr",
    "title gt null",
    "title le false",
    '[type eq "x"]',
    "]",
    "userName eq\u00a0",
]


@pytest.mark.parametrize("text", MALFORMED_FILTERS)
def test_malformed_filter_is_invalid_filter(text: str):
    with pytest.raises(InvalidFilter):
        parse_filter(text)


def test_random_text_raises_nothing_but_invalid_filter():
    rng = random.Random(7644)
    alphabet = 'abeqnotrp.:$[]()" \\\t-1eE'
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        try:
            tree = parse_filter(text)
        except InvalidFilter:
            continue
        matches(tree, USER, case_exact=case_insensitive)


# PATCH paths


def test_simple_patch_path():
    assert parse_patch_path("members") == PatchPath(path("members"))


def test_sub_attribute_patch_path():
    assert parse_patch_path("name.givenName") == PatchPath(path("name", "givenName"))


def test_emails_work_value_patch_path():
    assert parse_patch_path('emails[type eq "work"].value') == PatchPath(
        path("emails"), Comparison(path("type"), "eq", "work"), "value"
    )


def test_members_value_filter_patch_path():
    assert parse_patch_path('members[value eq "2819c223"]') == PatchPath(
        path("members"), Comparison(path("value"), "eq", "2819c223")
    )


def test_addresses_work_locality_patch_path():
    assert parse_patch_path('addresses[type eq "work"].locality').sub_attribute == "locality"


def test_extension_attribute_patch_path():
    assert parse_patch_path(f"{ENTERPRISE}:department") == PatchPath(AttrPath(ENTERPRISE, "department", None))


def test_value_filter_may_hold_a_closing_bracket_in_a_string():
    assert parse_patch_path('emails[value eq "a]b"]').value_filter == Comparison(path("value"), "eq", "a]b")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "name.",
        "name..givenName",
        "emails[",
        'emails[type eq "work"',
        'emails[type eq "work"]value',
        'emails[type eq "work"].value.x',
        'emails[type eq "work"][value pr]',
        'name.givenName[type eq "x"]',
        "members value",
        '"members"',
        "emails[type equals 1]",
    ],
)
def test_malformed_patch_path_is_invalid_path(text: str):
    with pytest.raises(InvalidPath):
        parse_patch_path(text)


# Evaluating filters


def test_equality_on_a_string_ignores_case_by_default():
    assert matches_user('USERNAME eq "bjensen"')


def test_case_exact_attribute_compares_exactly():
    tree = parse_filter('userName eq "bjensen"')

    assert not matches(tree, USER, case_exact=lambda attribute: attribute.attribute == "userName")


def test_multi_valued_any_element_matches():
    assert matches_user('emails.value eq "babs@jensen.org"')


def test_multi_valued_complex_attribute_compares_its_value():
    assert matches_user('emails co "@jensen.org"')


def test_multi_valued_simple_attribute_any_element_matches():
    assert matches_user('schemasSeen eq "beta"')


def test_value_path_needs_one_element_matching_every_term():
    assert not matches_user('emails[type eq "home" and value co "@example.com"]')


def test_value_path_matches_an_element_matching_every_term():
    assert matches_user('emails[type eq "work" and value co "@example.com"]')


def test_value_path_asks_case_exactness_of_the_element_attribute():
    asked = []
    matches(parse_filter('emails[type eq "WORK"]'), USER, case_exact=lambda attribute: asked.append(attribute) or False)

    assert path("emails", "type") in asked


def test_extension_path_looks_inside_the_extension_object():
    assert matches_user(f'{ENTERPRISE}:manager.value eq "26118915"')


def test_core_schema_path_looks_at_the_top_level():
    assert matches_user(f'{CORE_USER}:name.givenName sw "barb"')


def test_present_is_false_for_an_empty_string():
    assert not matches_user("title pr")


def test_present_is_true_for_a_false_boolean():
    assert matches_user("active pr", {"active": False})


def test_present_is_false_for_an_empty_list_or_object():
    assert not matches_user("emails pr or name pr", {"emails": [], "name": {}})


def test_missing_attribute_matches_nothing():
    assert not matches_user('nickName eq "x" or nickName ne "x" or nickName co ""')


def test_not_of_missing_attribute_matches():
    assert matches_user('not (nickName eq "x")')


def test_eq_null_matches_an_unassigned_attribute():
    assert matches_user("nickName eq null and title eq null and userName ne null")


def test_numbers_compare_numerically():
    assert matches_user("loginCount gt 6.5 and loginCount le 7 and loginCount eq 7.0")


def test_strings_order_lexicographically_ignoring_case():
    assert matches_user('userName gt "BA" and userName lt "bz"')


def test_datetimes_compare_chronologically():
    assert matches_user('meta.lastModified gt "2011-05-13T05:42:33+02:00"')


def test_type_mismatch_does_not_match():
    assert not matches_user('loginCount eq "7" or active eq 1 or userName eq 1 or loginCount co "7"')


def test_boolean_equality_matches():
    assert matches_user("active eq true and not (active ne true)")


def test_starts_with_and_ends_with():
    assert matches_user('userName sw "BJ" and userName ew "SEN"')


def test_attribute_names_in_resource_match_case_insensitively():
    assert matches_user('username eq "a"', {"USERNAME": "A"})


# Query planning


def test_conjunction_of_equalities_is_flattened():
    tree = parse_filter('userName eq "a" and (externalId eq "b" and id eq "c")')

    assert [term.path.attribute for term in equalities_of_conjunction(tree)] == ["userName", "externalId", "id"]


def test_single_equality_is_a_conjunction_of_equalities():
    assert equalities_of_conjunction(parse_filter('userName eq "a"')) == [Comparison(path("userName"), "eq", "a")]


@pytest.mark.parametrize(
    "text", ['userName eq "a" or id eq "b"', 'userName eq "a" and title pr', 'userName ne "a"', 'emails[type eq "w"]']
)
def test_other_filters_are_not_conjunctions_of_equalities(text: str):
    assert equalities_of_conjunction(parse_filter(text)) is None


def test_entra_work_email_filter_matches_the_work_element_only():
    tree = parse_filter('emails[type eq "work"].value eq "a@x.com"')
    user = {"emails": [{"type": "home", "value": "a@x.com"}, {"type": "work", "value": "b@x.com"}]}
    work = {"emails": [{"type": "work", "value": "A@x.com"}]}

    assert matches(tree, work, case_exact=lambda path: False)
    assert not matches(tree, user, case_exact=lambda path: False)
