"""Query plans, index and cursor paging (RFC 7644 section 3.4.2.4, RFC 9865) and sorting, against Azurite."""

from __future__ import annotations

import uuid

import pytest
from azure.data.tables import TableClient

from scim.errors import InvalidCursor, InvalidValue, TooMany
from scim.models.group import GROUP_SCHEMA
from scim.models.user import USER_SCHEMA
from scim.service import query
from scim.service.groups import GroupService
from scim.service.query import ListRequest, Page
from scim.service.users import UserService
from scim.storage.resources import TableResourceRepository


def create_users(users: UserService, tenant: str, count: int, **attributes) -> list[str]:
    """``count`` users named user00..; their ids in id order."""
    ids = [
        users.create(tenant, {"schemas": [USER_SCHEMA], "userName": f"user{number:02d}", **attributes}).id
        for number in range(count)
    ]
    return sorted(ids)


def walk(service, tenant: str, request: ListRequest) -> list[Page]:
    """Every page of a cursor walk, following nextCursor until it is absent."""
    pages = [service.find(tenant, request)]
    while pages[-1].next_cursor is not None:
        assert len(pages) < 100
        pages.append(service.find(tenant, ListRequest(**{**request.__dict__, "cursor": pages[-1].next_cursor})))
    return pages


def ids_of(pages: list[Page]) -> list[str]:
    return [resource.id for page in pages for resource in page.resources]


# plans


def test_indexed_eq_inside_and_reads_only_that_user(users: UserService, tenant: str, request_counter):
    create_users(users, tenant, 30, title="Engineer")

    requests = request_counter.sent_by(
        lambda: users.find(tenant, ListRequest('userName eq "user07" and title co "eng"'))
    )

    assert requests == 2  # the userName index row, the user


def test_or_of_indexed_equalities_reads_each_named_user(users: UserService, tenant: str, request_counter):
    create_users(users, tenant, 30)
    page = None

    def run() -> None:
        nonlocal page
        page = users.find(tenant, ListRequest('userName eq "user03" or userName eq "user04"'))

    assert request_counter.sent_by(run) == 4
    assert sorted(r.attributes["userName"] for r in page.resources) == ["user03", "user04"]


def test_id_eq_with_a_value_that_is_no_id_reads_nothing(users: UserService, tenant: str, request_counter):
    assert request_counter.sent_by(lambda: users.find(tenant, ListRequest('id eq "../../etc"'))) == 0


def test_filter_without_index_reads_the_users_one_storage_page_at_a_time(users, tenant, request_counter):
    create_users(users, tenant, 30)

    assert request_counter.sent_by(lambda: users.find(tenant, ListRequest('userName co "0"'))) == 1


def test_scan_beyond_the_maximum_is_too_many(users, tenant, monkeypatch):
    create_users(users, tenant, 4)
    monkeypatch.setattr(query, "MAX_SCAN_RESOURCES", 3)
    monkeypatch.setattr(query, "SCAN_PAGE_SIZE", 2)

    with pytest.raises(TooMany, match="more than 3 Users"):
        users.find(tenant, ListRequest("title pr"))


# index paging


def test_start_index_and_count_page_a_scan_with_the_true_total(users: UserService, tenant: str):
    ids = create_users(users, tenant, 7, title="Engineer")
    create_users(users, f"{tenant}-x", 1)

    page = users.find(tenant, ListRequest('title eq "engineer"', 3, 2))

    assert (page.total_results, page.start_index) == (7, 3)
    assert [resource.id for resource in page.resources] == ids[2:4]


# cursor paging


def test_cursor_walk_returns_every_user_once_in_id_order(users: UserService, tenant: str):
    ids = create_users(users, tenant, 7)

    pages = walk(users, tenant, ListRequest(cursor="", count=3))

    assert ids_of(pages) == ids
    assert [len(page.resources) for page in pages] == [3, 3, 1]
    assert {(page.total_results, page.start_index) for page in pages} == {(7, None)}


def test_cursor_walk_with_a_scanned_filter_returns_only_matches(users: UserService, tenant: str):
    engineers = create_users(users, tenant, 5, title="Engineer")
    users.create(tenant, {"schemas": [USER_SCHEMA], "userName": "manager", "title": "Manager"})

    pages = walk(users, tenant, ListRequest('title eq "Engineer"', cursor="", count=2))

    assert ids_of(pages) == engineers
    assert {page.total_results for page in pages} == {5}


def test_cursor_walk_with_an_indexed_filter(users: UserService, tenant: str):
    create_users(users, tenant, 5)
    wanted = 'userName eq "user01" or userName eq "user02" or userName eq "user03"'

    pages = walk(users, tenant, ListRequest(wanted, cursor="", count=2))

    assert sorted(r.attributes["userName"] for page in pages for r in page.resources) == ["user01", "user02", "user03"]
    assert [len(page.resources) for page in pages] == [2, 1]


def test_cursor_walk_costs_one_request_per_page_after_the_first(users, tenant, request_counter):
    create_users(users, tenant, 25)
    first = users.find(tenant, ListRequest(cursor="", count=5))
    costs = []
    cursor = first.next_cursor
    while cursor is not None:
        before = request_counter.count
        cursor = users.find(tenant, ListRequest(cursor=cursor, count=5)).next_cursor
        costs.append(request_counter.count - before)

    assert costs == [1, 1, 1, 1]


def test_cursor_walk_keeps_the_total_counted_when_it_began(users: UserService, tenant: str):
    create_users(users, tenant, 3)
    first = users.find(tenant, ListRequest(cursor="", count=1))
    users.create(tenant, {"schemas": [USER_SCHEMA], "userName": "latecomer"})

    second = users.find(tenant, ListRequest(cursor=first.next_cursor, count=1))

    assert (first.total_results, second.total_results) == (3, 3)


def test_cursor_resumes_after_the_last_user_returned_even_once_deleted(users: UserService, tenant: str):
    ids = create_users(users, tenant, 4)
    first = users.find(tenant, ListRequest(cursor="", count=2))
    users.delete(tenant, ids[1])

    rest = walk(users, tenant, ListRequest(cursor=first.next_cursor, count=2))

    assert ids_of(rest) == ids[2:]


def test_cursor_pages_may_change_their_count(users: UserService, tenant: str):
    ids = create_users(users, tenant, 6)
    first = users.find(tenant, ListRequest(cursor="", count=1))

    rest = walk(users, tenant, ListRequest(cursor=first.next_cursor, count=4))

    assert ids_of([first, *rest]) == ids


def test_count_zero_with_cursor_returns_the_total_and_a_cursor_to_the_same_place(users: UserService, tenant: str):
    ids = create_users(users, tenant, 2)

    empty = users.find(tenant, ListRequest(cursor="", count=0))
    after = users.find(tenant, ListRequest(cursor=empty.next_cursor, count=5))

    assert (empty.total_results, empty.resources) == (2, [])
    assert [resource.id for resource in after.resources] == ids


def test_last_page_has_no_next_cursor(users: UserService, tenant: str):
    create_users(users, tenant, 2)

    assert users.find(tenant, ListRequest(cursor="", count=2)).next_cursor is None


def test_cursor_from_one_instance_works_on_another(azurite: str, table_name: str, tenant: str):
    def instance() -> UserService:
        return UserService(TableResourceRepository(TableClient.from_connection_string(azurite, table_name)))

    first_instance, second_instance = instance(), instance()
    ids = create_users(first_instance, tenant, 3)
    cursor = first_instance.find(tenant, ListRequest(cursor="", count=1)).next_cursor

    rest = walk(second_instance, tenant, ListRequest(cursor=cursor, count=1))

    assert ids_of(rest) == ids[1:]


def test_altered_cursor_is_invalid_cursor(users: UserService, tenant: str):
    create_users(users, tenant, 2)
    cursor = users.find(tenant, ListRequest(cursor="", count=1)).next_cursor
    payload, _, tag = cursor.partition(".")
    altered = ("A" if payload[0] != "A" else "B") + payload[1:] + "." + tag

    with pytest.raises(InvalidCursor):
        users.find(tenant, ListRequest(cursor=altered, count=1))


def test_cursor_of_another_tenant_is_invalid_cursor(users: UserService, tenant: str):
    other = f"{tenant}-other"
    create_users(users, other, 2)
    cursor = users.find(other, ListRequest(cursor="", count=1)).next_cursor

    with pytest.raises(InvalidCursor):
        users.find(tenant, ListRequest(cursor=cursor, count=1))


def test_cursor_for_another_filter_is_invalid_cursor(users: UserService, tenant: str):
    create_users(users, tenant, 3)
    cursor = users.find(tenant, ListRequest('userName sw "user"', cursor="", count=1)).next_cursor

    with pytest.raises(InvalidCursor):
        users.find(tenant, ListRequest('userName sw "u"', cursor=cursor, count=1))


def test_cursor_of_groups_is_invalid_for_users(users: UserService, groups: GroupService, tenant: str):
    for name in ("a", "b"):
        groups.create(tenant, {"schemas": [GROUP_SCHEMA], "displayName": name})
    cursor = groups.find(tenant, ListRequest(cursor="", count=1)).next_cursor

    with pytest.raises(InvalidCursor):
        users.find(tenant, ListRequest(cursor=cursor, count=1))


@pytest.mark.parametrize("cursor", ["abc", "a.b", "!!!.###", "é.é", "x" * 2000, str(uuid.uuid4())])
def test_cursor_this_service_never_issued_is_invalid_cursor(users: UserService, tenant: str, cursor: str):
    with pytest.raises(InvalidCursor):
        users.find(tenant, ListRequest(cursor=cursor))


def test_cursor_and_start_index_together_are_invalid_value(users: UserService, tenant: str):
    with pytest.raises(InvalidValue):
        users.find(tenant, ListRequest(start_index=1, cursor=""))


# sorting


def create_named(users: UserService, tenant: str, *names: str, **attributes) -> None:
    for name in names:
        users.create(tenant, {"schemas": [USER_SCHEMA], "userName": name, **attributes})


def user_names(page: Page) -> list[str]:
    return [resource.attributes["userName"] for resource in page.resources]


def test_sort_by_user_name_ascending_ignores_letter_case(users: UserService, tenant: str):
    create_named(users, tenant, "carol", "Bob", "alice")

    assert user_names(users.find(tenant, ListRequest(sort_by="userName"))) == ["alice", "Bob", "carol"]


def test_sort_descending_reverses_the_order(users: UserService, tenant: str):
    create_named(users, tenant, "carol", "Bob", "alice")

    page = users.find(tenant, ListRequest(sort_by="userName", sort_order="DESCENDING"))

    assert user_names(page) == ["carol", "Bob", "alice"]


def test_users_without_the_sort_value_come_last_ascending_and_first_descending(users: UserService, tenant: str):
    create_named(users, tenant, "untitled")
    create_named(users, tenant, "ceo", title="CEO")
    create_named(users, tenant, "dev", title="Developer")

    ascending = users.find(tenant, ListRequest(sort_by="title"))
    descending = users.find(tenant, ListRequest(sort_by="title", sort_order="descending"))

    assert user_names(ascending) == ["ceo", "dev", "untitled"]
    assert user_names(descending) == ["untitled", "dev", "ceo"]


def test_sort_by_a_multi_valued_attribute_uses_the_primary_value(users: UserService, tenant: str):
    create_named(users, tenant, "x", emails=[{"value": "a@x.example"}, {"value": "z@x.example", "primary": True}])
    create_named(users, tenant, "y", emails=[{"value": "m@y.example"}])

    assert user_names(users.find(tenant, ListRequest(sort_by="emails"))) == ["y", "x"]


def test_sorted_page_by_start_index_and_count(users: UserService, tenant: str):
    create_named(users, tenant, "e", "d", "c", "b", "a")

    page = users.find(tenant, ListRequest(sort_by="userName", start_index=2, count=2))

    assert (page.total_results, user_names(page)) == (5, ["b", "c"])


def test_sorted_cursor_walk_follows_the_sort_order(users: UserService, tenant: str):
    create_named(users, tenant, "e", "d", "c", "b", "a")

    pages = walk(users, tenant, ListRequest(sort_by="userName", sort_order="descending", cursor="", count=2))

    assert [user_names(page) for page in pages] == [["e", "d"], ["c", "b"], ["a"]]


def test_sort_by_an_extension_attribute(users: UserService, tenant: str):
    department = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    create_named(users, tenant, "x", **{department: {"department": "Sales"}})
    create_named(users, tenant, "y", **{department: {"department": "Engineering"}})

    assert user_names(users.find(tenant, ListRequest(sort_by=f"{department}:department"))) == ["y", "x"]


@pytest.mark.parametrize(
    "sort_by", ["shoeSize", "name", "groups", "meta.location", 'emails[type eq "work"]', "user name"]
)
def test_sort_by_what_cannot_be_sorted_by_is_invalid_value(users: UserService, tenant: str, sort_by: str):
    with pytest.raises(InvalidValue):
        users.find(tenant, ListRequest(sort_by=sort_by))


def test_sort_order_other_than_ascending_or_descending_is_invalid_value(users: UserService, tenant: str):
    with pytest.raises(InvalidValue):
        users.find(tenant, ListRequest(sort_by="userName", sort_order="up"))


def test_sort_order_without_sort_by_changes_nothing(users: UserService, tenant: str):
    ids = create_users(users, tenant, 3)

    page = users.find(tenant, ListRequest(sort_order="descending"))

    assert [resource.id for resource in page.resources] == ids
