"""POST /tickets/bulk (API.md "Bulk changes"): per-row results through the single endpoints' services."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Role
from apps.core.testing.events import EventRecorder
from apps.core.testing.factories import make_team, make_user
from apps.tickets.models import Priority, Tag, Ticket, TicketEvent
from apps.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def bulk(client, ids, action, params=None):
    body = {"ids": ids, "action": action}
    if params is not None:
        body["params"] = params
    return client.post("tickets/bulk", body)


def rows(response) -> dict[int, dict]:
    assert response.status_code == 200, response.json()
    return {row["id"]: row for row in response.json()["results"]}


def test_mixed_rows_answer_one_result_each_in_the_order_sent(api, agent, requester, team):
    mine = make_ticket(requester, team=team, status="open")
    done = make_ticket(requester, team=team, status="closed")
    elsewhere = make_ticket(requester, team=make_team("Facilities"), status="open")
    missing = Ticket.objects.order_by("-pk").first().pk + 100

    response = bulk(
        api(agent), [mine.pk, elsewhere.pk, done.pk, missing, mine.pk], "transition", {"status": "in_progress"}
    )

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": mine.pk, "ok": True, "code": None, "message": None},
        {"id": elsewhere.pk, "ok": False, "code": "not_found", "message": "No such ticket."},
        {
            "id": done.pk,
            "ok": False,
            "code": "invalid_transition",
            "message": "A ticket can't move from closed to in_progress.",
        },
        {"id": missing, "ok": False, "code": "not_found", "message": "No such ticket."},
    ]
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses == {mine.pk: "in_progress", done.pk: "closed", elsewhere.pk: "open"}
    assert list(TicketEvent.objects.values_list("ticket_id", "kind", "old", "new")) == [
        (mine.pk, "status_changed", "open", "in_progress")
    ]


def test_a_requester_gets_the_single_endpoints_refusals_row_by_row(api, requester, team):
    own = make_ticket(requester, team=team, status="open")
    other = make_ticket(make_user(), team=team, status="open")

    results = rows(bulk(api(requester), [own.pk, other.pk], "set_priority", {"priority": "urgent"}))

    assert results[own.pk]["ok"] is False
    assert results[own.pk]["code"] == "field_not_editable"
    assert results[other.pk]["code"] == "not_found"
    assert set(Ticket.objects.values_list("priority", flat=True)) == {Priority.NORMAL}
    assert not TicketEvent.objects.exists()


def test_assign_checks_the_assignee_per_ticket(api, agent, requester, team):
    triage = make_ticket(requester)  # no team: any agent may be assigned
    other_team = make_team("Facilities")
    theirs = make_ticket(requester, team=other_team)
    admin = make_user(Role.ADMIN)
    outsider = make_user(Role.AGENT, teams=[other_team])

    results = rows(bulk(api(admin), [triage.pk, theirs.pk], "assign", {"assignee_id": agent.pk}))
    assert results[triage.pk] == {"id": triage.pk, "ok": True, "code": None, "message": None}
    assert results[theirs.pk]["code"] == "validation_error"
    assert "agent of the ticket's team" in results[theirs.pk]["message"]

    results = rows(bulk(api(outsider), [triage.pk], "assign", {"assignee_id": None}))
    assert results[triage.pk]["ok"] is True
    triage.refresh_from_db()
    theirs.refresh_from_db()
    assert (triage.assignee_id, theirs.assignee_id) == (None, None)
    assert list(TicketEvent.objects.filter(ticket=triage).values_list("kind", "old", "new")) == [
        ("assigned", None, agent.pk),
        ("assigned", agent.pk, None),
    ]


def test_field_changes_go_through_ticket_update_with_one_row_and_version_each(api, agent, requester, team):
    tickets = [make_ticket(requester, team=team) for _ in range(3)]
    ids = [ticket.pk for ticket in tickets]
    client = api(agent)
    vpn = Tag.objects.create(name="vpn")
    tickets[0].tags.add(vpn)

    assert all(row["ok"] for row in rows(bulk(client, ids, "set_priority", {"priority": "high"})).values())
    assert all(row["ok"] for row in rows(bulk(client, ids, "add_tags", {"tags": ["VPN", "urgent"]})).values())
    assert all(row["ok"] for row in rows(bulk(client, ids, "remove_tags", {"tags": ["vpn"]})).values())

    for ticket in Ticket.objects.filter(pk__in=ids).prefetch_related("tags"):
        assert ticket.priority == Priority.HIGH
        assert [tag.name for tag in ticket.tags.all()] == ["urgent"]
        assert ticket.version == 4
    first = list(TicketEvent.objects.filter(ticket=tickets[0]).values_list("kind", "old", "new"))
    assert first == [
        ("updated", {"priority": "normal"}, {"priority": "high"}),
        ("updated", {"tags": ["vpn"]}, {"tags": ["urgent", "vpn"]}),
        ("updated", {"tags": ["urgent", "vpn"]}, {"tags": ["urgent"]}),
    ]
    assert TicketEvent.objects.count() == 9

    # Unchanged is ok, and logs nothing (as PATCH with the same values).
    assert all(row["ok"] for row in rows(bulk(client, ids, "set_priority", {"priority": "high"})).values())
    assert TicketEvent.objects.count() == 9


def test_set_team_unassigns_an_agent_outside_the_new_team(api, admin_user, agent, requester, team):
    other = make_team("Facilities")
    ticket = make_ticket(requester, team=team, assignee=agent)
    triage = make_ticket(requester, team=team)

    results = rows(bulk(api(admin_user), [ticket.pk, triage.pk], "set_team", {"team_id": other.pk}))
    assert all(row["ok"] for row in results.values())
    ticket.refresh_from_db()
    assert (ticket.team_id, ticket.assignee_id) == (other.pk, None)

    results = rows(bulk(api(admin_user), [triage.pk], "set_team", {"team_id": None}))
    assert results[triage.pk]["ok"] is True
    triage.refresh_from_db()
    assert triage.team_id is None


def test_tags_beyond_the_limit_fail_that_row_only(api, agent, requester, team):
    full = make_ticket(requester, team=team)
    full.tags.set([Tag.objects.create(name=f"t{i}") for i in range(19)])
    empty = make_ticket(requester, team=team)

    results = rows(bulk(api(agent), [full.pk, empty.pk], "add_tags", {"tags": ["a", "b"]}))

    assert results[full.pk] == {
        "id": full.pk,
        "ok": False,
        "code": "validation_error",
        "message": "A ticket has at most 20 tags.",
    }
    assert results[empty.pk]["ok"] is True
    assert full.tags.count() == 19
    assert sorted(empty.tags.values_list("name", flat=True)) == ["a", "b"]


def test_watch_and_unwatch_the_callers_own_watch(api, requester, team):
    watcher = make_user(Role.AGENT, teams=[team])
    tickets = [make_ticket(requester, team=team) for _ in range(2)]
    ids = [ticket.pk for ticket in tickets]

    assert all(row["ok"] for row in rows(bulk(api(watcher), ids, "watch")).values())
    assert all(ticket.watchers.filter(pk=watcher.pk).exists() for ticket in tickets)
    assert all(row["ok"] for row in rows(bulk(api(watcher), ids, "watch", {})).values())
    assert TicketEvent.objects.filter(kind="watcher_added").count() == 2
    assert all(row["ok"] for row in rows(bulk(api(watcher), ids, "unwatch")).values())
    assert not Ticket.watchers.through.objects.exists()
    assert TicketEvent.objects.filter(kind="watcher_removed").count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ids": list(range(1, 202)), "action": "watch"}, "ids"),
        ({"ids": [], "action": "watch"}, "ids"),
        ({"ids": [0], "action": "watch"}, "ids.0"),
        ({"ids": ["1"], "action": "watch"}, "ids.0"),
        ({"ids": [1], "action": "delete"}, "action"),
        ({"ids": [1], "action": "assign"}, "params.assignee_id"),
        ({"ids": [1], "action": "assign", "params": {"status": "open", "assignee_id": None}}, "params.status"),
        ({"ids": [1], "action": "transition", "params": {"status": None}}, "params.status"),
        ({"ids": [1], "action": "transition", "params": {"status": "gone"}}, "params.status"),
        ({"ids": [1], "action": "set_priority", "params": {}}, "params.priority"),
        ({"ids": [1], "action": "add_tags", "params": {"tags": []}}, "params.tags"),
        ({"ids": [1], "action": "add_tags", "params": {"tags": ["no spaces"]}}, "params.tags.0"),
        ({"ids": [1], "action": "watch", "params": {"version": 3}}, "params.version"),
        ({"ids": [1], "action": "watch", "version": 3}, "version"),
    ],
)
def test_bad_requests_are_422_naming_the_field(api, agent, body, field):
    response = api(agent).post("tickets/bulk", body)
    assert response.status_code == 422, response.json()
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["details"]["fields"]


def test_two_hundred_ids_are_accepted(api, agent, requester, team):
    ticket = make_ticket(requester, team=team)
    ids = [ticket.pk, *range(ticket.pk + 1, ticket.pk + 200)]
    results = bulk(api(agent), ids, "watch").json()["results"]
    assert len(results) == 200
    assert results[0]["ok"] is True
    assert {row["code"] for row in results[1:]} == {"not_found"}


def _bulk_queries(client, ids) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = bulk(client, ids, "set_priority", {"priority": "urgent"})
    assert all(row["ok"] for row in response.json()["results"])
    return len(ctx.captured_queries)


def test_query_count_grows_by_a_constant_per_ticket(api, agent, requester, team):
    """Each ticket costs what its single endpoint costs; the batch itself adds a constant."""
    client = api(agent)
    client.get("users/me")  # the token is resolved once per process (cached authentication)
    tickets = [make_ticket(requester, team=team, assignee=agent) for _ in range(21)]
    one = _bulk_queries(client, [tickets[0].pk])
    two = _bulk_queries(client, [t.pk for t in tickets[1:3]])
    per_ticket = two - one
    assert 0 < per_ticket <= 25
    assert _bulk_queries(client, [t.pk for t in tickets[3:21]]) == one + 17 * per_ticket


def test_bulk_is_throttled_as_a_write(api, agent, requester, team, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "user_writes": "2/min"}
    ticket = make_ticket(requester, team=team)
    client = api(agent)
    assert bulk(client, [ticket.pk], "watch").status_code == 200
    assert bulk(client, [ticket.pk], "unwatch").status_code == 200
    response = bulk(client, [ticket.pk], "watch")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert ticket.watchers.count() == 0


@pytest.mark.django_db(transaction=True)
def test_one_event_per_changed_ticket_after_each_commit(api, agent, requester, team, settings):
    # The recorder polls with short timeouts, which can drop a message on the Redis layer (as in
    # apps/comments/tests/test_events.py); what is sent is the same on either layer.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    assigned = make_ticket(requester, team=team, assignee=agent)
    fresh = [make_ticket(requester, team=team) for _ in range(3)]
    hidden = make_ticket(requester, team=make_team("Facilities"))
    recorder = EventRecorder("tickets")

    ids = [assigned.pk, *(t.pk for t in fresh), hidden.pk]
    results = rows(bulk(api(agent), ids, "assign", {"assignee_id": agent.pk}))

    assert [results[i]["ok"] for i in ids] == [True, True, True, True, False]
    events = [(m["event"], m["data"]["ticket"]["id"], m["data"]["ticket"]["assignee"]["id"]) for m in recorder.drain()]
    assert sorted(events) == sorted(("ticket.assigned", t.pk, agent.pk) for t in fresh)
    assert TicketEvent.objects.filter(kind="assigned").count() == 3
