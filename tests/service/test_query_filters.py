"""The whole filter language (RFC 7644 section 3.4.2.2) on Users and Groups, against Azurite.

Filters that no index answers are evaluated on a scan of the tenant's resources; those with an
indexed ``eq`` on point reads. Both give the same answers.
"""

from __future__ import annotations

import itertools
import re

import pytest

from scim.errors import InvalidFilter
from scim.models.group import GROUP_SCHEMA
from scim.models.user import ENTERPRISE_USER_SCHEMA, USER_SCHEMA
from scim.service.groups import GroupService
from scim.service.query import ListRequest
from scim.service.users import UserService
from scim.storage.resources import TableResourceRepository
from tests.support.bodies import user_body

DEPARTMENT = f"{ENTERPRISE_USER_SCHEMA}:department"


@pytest.fixture
def people(users: UserService, tenant: str) -> dict[str, str]:
    """Three users with varied attributes; user name -> id."""
    bodies = [
        user_body(
            "alice@example.com",
            externalId="EXT-Alice",
            title="Senior Engineer",
            active=True,
            name={"givenName": "Alice", "familyName": "Archer"},
            emails=[
                {"value": "alice@example.com", "type": "work", "primary": True},
                {"value": "alice@home.example.org", "type": "home"},
            ],
            **{ENTERPRISE_USER_SCHEMA: {"department": "Sales", "manager": {"value": "boss-1"}}},
        ),
        user_body(
            "bob@example.org",
            title="Manager",
            active=False,
            name={"givenName": "Bob"},
            emails=[{"value": "bob@example.org", "type": "work"}],
        ),
        user_body("carol@example.com", emails=[{"value": "carol@example.com", "type": "home"}]),
    ]
    return {body["userName"]: users.create(tenant, body).id for body in bodies}


def found(users: UserService, tenant: str, filter_text: str) -> set[str]:
    """The user names a filter finds; totalResults must agree with them."""
    page = users.find(tenant, ListRequest(filter_text))
    names = {resource.attributes["userName"] for resource in page.resources}
    assert page.total_results == len(names)
    return names


ALICE, BOB, CAROL = "alice@example.com", "bob@example.org", "carol@example.com"


# operators


def test_eq_on_an_attribute_without_index_finds_by_scan(users, tenant, people):
    assert found(users, tenant, 'title eq "manager"') == {BOB}


def test_ne_finds_users_whose_value_differs_but_not_those_without_one(users, tenant, people):
    assert found(users, tenant, 'title ne "Manager"') == {ALICE}


def test_co_finds_a_substring_in_any_case(users, tenant, people):
    assert found(users, tenant, 'title co "ENGIN"') == {ALICE}


def test_sw_finds_a_prefix(users, tenant, people):
    assert found(users, tenant, 'userName sw "bo"') == {BOB}


def test_ew_finds_a_suffix(users, tenant, people):
    assert found(users, tenant, 'userName ew ".com"') == {ALICE, CAROL}


def test_pr_finds_users_with_a_value(users, tenant, people):
    assert found(users, tenant, "title pr") == {ALICE, BOB}


def test_gt_orders_strings_case_insensitively(users, tenant, people):
    assert found(users, tenant, 'userName gt "BOB"') == {BOB, CAROL}


def test_ge_includes_the_bound(users, tenant, people):
    assert found(users, tenant, 'userName ge "bob@example.org"') == {BOB, CAROL}


def test_lt_excludes_the_bound(users, tenant, people):
    assert found(users, tenant, 'userName lt "bob@example.org"') == {ALICE}


def test_le_includes_the_bound(users, tenant, people):
    assert found(users, tenant, 'userName le "bob@example.org"') == {ALICE, BOB}


# logical operators and grouping


def test_and_requires_both(users, tenant, people):
    assert found(users, tenant, "title pr and active eq false") == {BOB}


def test_or_accepts_either(users, tenant, people):
    assert found(users, tenant, 'title eq "Manager" or userName sw "carol"') == {BOB, CAROL}


def test_not_negates_a_parenthesized_filter(users, tenant, people):
    assert found(users, tenant, "not (title pr)") == {CAROL}


def test_and_binds_tighter_than_or(users, tenant, people):
    assert found(users, tenant, 'userName sw "carol" or title pr and active eq true') == {ALICE, CAROL}


def test_parentheses_override_precedence(users, tenant, people):
    assert found(users, tenant, '(userName sw "carol" or title pr) and active eq true') == {ALICE}


def test_operators_and_keywords_in_any_letter_case(users, tenant, people):
    assert found(users, tenant, 'TITLE CO "engineer" AnD NOT (active Eq FALSE)') == {ALICE}


# complex attributes, sub-attributes and URNs


def test_value_filter_needs_one_element_satisfying_all_of_it(users, tenant, people):
    assert found(users, tenant, 'emails[type eq "work" and value co "@example.com"]') == {ALICE}


def test_value_filter_on_separate_elements_does_not_match(users, tenant, people):
    assert found(users, tenant, 'emails[type eq "home" and value ew "@example.com"]') == {CAROL}


def test_sub_attribute_of_a_complex_attribute(users, tenant, people):
    assert found(users, tenant, 'name.givenName eq "bob"') == {BOB}


def test_sub_attribute_of_a_multi_valued_attribute_matches_any_element(users, tenant, people):
    assert found(users, tenant, 'emails.value ew "example.org"') == {ALICE, BOB}


def test_multi_valued_attribute_without_sub_attribute_compares_values(users, tenant, people):
    assert found(users, tenant, 'emails co "home.example"') == {ALICE}


def test_urn_qualified_core_attribute(users, tenant, people):
    assert found(users, tenant, f'{USER_SCHEMA}:userName eq "ALICE@example.com"') == {ALICE}


def test_extension_attribute_by_its_urn(users, tenant, people):
    assert found(users, tenant, f'{DEPARTMENT} eq "sales"') == {ALICE}


def test_extension_sub_attribute_by_its_urn(users, tenant, people):
    assert found(users, tenant, f'{ENTERPRISE_USER_SCHEMA}:manager.value eq "boss-1"') == {ALICE}


# values


def test_boolean_value(users, tenant, people):
    assert found(users, tenant, "active eq true") == {ALICE}


def test_null_value_matches_an_absent_attribute(users, tenant, people):
    assert found(users, tenant, "title eq null") == {CAROL}


def test_number_never_equals_a_string_attribute(users, tenant, people):
    assert found(users, tenant, "title eq 42") == set()


def test_datetime_values_compare_chronologically(repository: TableResourceRepository, tenant: str):
    moments = iter(["2026-01-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"])
    service = UserService(repository, clock=lambda: next(moments))
    service.create(tenant, user_body("early"))
    service.create(tenant, user_body("late"))

    # 02:00 at +03:00 is 2026-01-31T23:00Z: after the first user, before the second
    assert found(service, tenant, 'meta.created gt "2026-02-01T02:00:00+03:00"') == {"late"}
    assert found(service, tenant, 'meta.lastModified lt "2026-02-01T00:00:00Z"') == {"early"}


def test_meta_resource_type_is_filterable(users, tenant, people):
    assert found(users, tenant, 'meta.resourceType eq "User"') == {ALICE, BOB, CAROL}


def test_case_exact_attribute_compares_exactly(users, tenant, people):
    assert found(users, tenant, 'externalId co "alice"') == set()
    assert found(users, tenant, 'externalId co "Alice"') == {ALICE}


def test_groups_take_the_same_filters(groups: GroupService, tenant: str):
    for name in ("Engineering", "Sales", "Engineering Managers"):
        groups.create(tenant, {"schemas": [GROUP_SCHEMA], "displayName": name})

    page = groups.find(tenant, ListRequest('displayName sw "engineering" and not (displayName co "managers")'))

    assert [resource.attributes["displayName"] for resource in page.resources] == ["Engineering"]


# errors


@pytest.mark.parametrize(
    ("filter_text", "detail"),
    [
        ('favouriteColour eq "blue"', "unknown attribute 'favouriteColour'"),
        ('name.nickname eq "x"', "unknown attribute 'name.nickname'"),
        ('emails[kind eq "work"]', "unknown sub-attribute 'kind' of 'emails'"),
        (f'{ENTERPRISE_USER_SCHEMA}:shoeSize eq "9"', "unknown attribute"),
        ('groups.value eq "x"', "filtering on 'groups.value' is not supported"),
        ('meta.location co "Users"', "filtering on 'meta.location' is not supported"),
        ('userName eq "a" and', "unexpected end of filter at position 19"),
        ('userName xx "a"', "unexpected 'xx' at position 9"),
        ("active gt true", "cannot order by true"),
        ("(" * 40 + 'userName eq "a"' + ")" * 40, "nested deeper than"),
        ('userName eq "' + "a" * 5000 + '"', "longer than"),
    ],
)
def test_invalid_filter_is_refused_with_a_detail_that_says_why(users, tenant, filter_text, detail):
    with pytest.raises(InvalidFilter, match=re.escape(detail)):
        users.find(tenant, ListRequest(filter_text))


@pytest.mark.parametrize("filter_text", ["members pr", 'members[type eq "User"]', 'members.value co "x"'])
def test_filter_on_members_other_than_a_value_equality_is_refused(groups: GroupService, tenant: str, filter_text):
    with pytest.raises(InvalidFilter, match="members can be filtered by"):
        groups.find(tenant, ListRequest(filter_text))


def test_indexed_and_scanned_plans_give_the_same_answers(users, tenant, people):
    """``userName eq`` is answered by the index; ``userName eq ... or title eq "nothing"`` by a scan."""
    for name, operator_filter in itertools.product([ALICE, BOB.upper()], ["", " and title pr", " and not (title pr)"]):
        indexed = f'userName eq "{name}"{operator_filter}'
        scanned = f'(userName eq "{name}" or title eq "no such title"){operator_filter}'
        assert found(users, tenant, indexed) == found(users, tenant, scanned)
