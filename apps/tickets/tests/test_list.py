from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core.testing.factories import make_user
from apps.tickets.models import Tag, Ticket
from apps.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def _count_queries(client, path, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _fill(n, team, requester, agent):
    tag = Tag.objects.get_or_create(name="vpn")[0]
    for i in range(n):
        ticket = make_ticket(requester if i % 2 else make_user(), team=team, assignee=agent, title=f"T{i}")
        ticket.tags.add(tag)


def test_list_query_count_does_not_grow_with_page_size(api, agent, requester, team):
    client = api(agent)
    client.get("users/me")  # the token is resolved once per process (cached authentication)
    _fill(5, team, requester, agent)
    small = _count_queries(client, "tickets", {"limit": 50})
    _fill(45, team, requester, agent)
    large = _count_queries(client, "tickets", {"limit": 50})
    assert len(client.get("tickets", {"limit": 50}).json()["items"]) == 50
    assert small == large


def test_cursor_pagination_walks_every_ticket_once(api, admin_user, requester, team):
    for i in range(23):
        make_ticket(
            requester,
            team=team,
            title=f"T{i}",
            priority=["low", "normal", "high", "urgent"][i % 4],
            due_at=timezone.now() + timedelta(days=i % 5) if i % 3 else None,
        )
    client = api(admin_user)
    for ordering in ["-created", "created", "priority", "-priority", "due", "-due", "updated", "-updated"]:
        seen, cursor = [], None
        while True:
            page = client.get(
                "tickets", {"limit": 5, "ordering": ordering, **({"cursor": cursor} if cursor else {})}
            ).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert sorted(seen) == sorted(Ticket.objects.values_list("id", flat=True)), ordering
        assert len(seen) == len(set(seen)), ordering
    by_priority = [
        i["priority"] for i in client.get("tickets", {"ordering": "-priority", "limit": 100}).json()["items"]
    ]
    assert by_priority == sorted(by_priority, key=["urgent", "high", "normal", "low"].index)


def test_filters(api, agent, requester, team):
    mine = make_ticket(requester, team=team, status="open", priority="high", assignee=agent, title="mine")
    make_ticket(requester, team=team, status="new", title="unassigned")
    closed = make_ticket(requester, team=team, status="closed", type="change", title="closed")
    closed.tags.add(Tag.objects.create(name="hardware"))
    client = api(agent)

    def titles(**params):
        response = client.get("tickets", params)
        assert response.status_code == 200, response.json()
        return sorted(item["title"] for item in response.json()["items"])

    assert titles(assignee="me") == ["mine"]
    assert titles(assignee="none") == ["closed", "unassigned"]
    assert titles(assignee=str(agent.id)) == ["mine"]
    assert titles(status=["open", "new"]) == ["mine", "unassigned"]
    assert titles(status="open,closed") == ["closed", "mine"]
    assert titles(priority="high") == ["mine"]
    assert titles(type="change") == ["closed"]
    assert titles(tag="hardware") == ["closed"]
    assert titles(team=team.id) == ["closed", "mine", "unassigned"]
    assert titles(requester=requester.id) == ["closed", "mine", "unassigned"]
    assert titles(created_after=(timezone.now() + timedelta(hours=1)).isoformat()) == []
    assert titles(created_before=(timezone.now() + timedelta(hours=1)).isoformat()) == ["closed", "mine", "unassigned"]
    assert mine.id


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "bogus"}, "status"),
        ({"priority": "x"}, "priority"),
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"ordering": "title"}, "ordering"),
        ({"cursor": "!!!"}, "cursor"),
        ({"assignee": "someone"}, "assignee"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"team": "x"}, "team"),
    ],
)
def test_bad_list_parameters_are_422(api, agent, params, field):
    response = api(agent).get("tickets", params)
    assert response.status_code == 422
    assert field in response.json()["details"]["fields"]


def test_search_by_word_number_and_ranking(api, admin_user, requester, team):
    in_title = make_ticket(requester, team=team, title="Printer jammed on floor 3", description="paper everywhere")
    in_body = make_ticket(requester, team=team, title="Office supplies", description="the printer needs toner")
    make_ticket(requester, team=team, title="VPN down", description="cannot connect")
    client = api(admin_user)
    found = [item["id"] for item in client.get("tickets", {"q": "printer"}).json()["items"]]
    assert found == [in_title.id, in_body.id]
    assert [i["id"] for i in client.get("tickets", {"q": in_body.key}).json()["items"]] == [in_body.id]
    assert next(i["id"] for i in client.get("tickets", {"q": f"hd-{in_title.number}"}).json()["items"]) == in_title.id
    assert client.get("tickets", {"q": "nonexistentword"}).json()["items"] == []
    assert [i["id"] for i in client.get("tickets", {"q": "toner", "ordering": "-created"}).json()["items"]] == [
        in_body.id
    ]


def test_search_respects_visibility(api, requester, team):
    make_ticket(make_user(), team=team, title="Secret printer plans")
    assert api(requester).get("tickets", {"q": "printer"}).json()["items"] == []
