import pytest

from apps.accounts.models import Role
from apps.core.testing.factories import make_team, make_user
from apps.tickets.models import Ticket, TicketEvent
from apps.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def test_create_returns_201_with_number_and_logs_creation(api, requester, team):
    response = api(requester).post("tickets", {"title": "VPN is down", "description": "Since 9am", "team_id": team.id})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("HD-")
    assert body["status"] == "new"
    assert body["priority"] == "normal"
    assert body["requester"]["email"] == requester.email
    assert body["team"] == {"id": team.id, "name": team.name}
    assert body["version"] == 1
    assert body["allowed_transitions"] == ["closed"]
    assert list(TicketEvent.objects.values_list("kind", flat=True)) == ["created"]


def test_create_ignores_nothing_it_cannot_set(api, requester):
    """No mass assignment: fields like status, number, requester or version are rejected, not applied."""
    for field, value in [
        ("status", "closed"),
        ("number", 7),
        ("requester_id", 1),
        ("version", 9),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("resolved_at", "2020-01-01T00:00:00Z"),
    ]:
        response = api(requester).post("tickets", {"title": "x", field: value})
        assert response.status_code == 422, field
        assert field in response.json()["details"]["fields"]
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 10_000}, "title"),
        ({"title": 42}, "title"),
        ({"title": "ok", "priority": "meh"}, "priority"),
        ({"title": "ok", "type": "rant"}, "type"),
        ({"title": "ok", "team_id": "abc"}, "team_id"),
        ({"title": "ok", "team_id": 999999}, "team_id"),
        ({"title": "ok", "description": "d" * 20_001}, "description"),
        ({}, "title"),
    ],
)
def test_bad_input_is_422_with_field_messages(api, requester, payload, field):
    response = api(requester).post("tickets", payload)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["details"]["fields"][field]


def test_malformed_json_is_a_client_error_not_500(api, requester):
    client = api(requester)
    response = client._client.post(
        "/api/v1/tickets", "{nope", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {client.token}"
    )
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"code", "message", "details"}


def test_requester_cannot_set_staff_fields(api, requester):
    response = api(requester).post("tickets", {"title": "x", "tags": ["vip"]})
    assert response.status_code == 403
    assert response.json()["code"] == "field_not_editable"


def test_patch_with_version(api, agent, requester, team):
    ticket = make_ticket(requester, team=team)
    client = api(agent)
    response = client.patch(f"tickets/{ticket.id}", {"version": 1, "priority": "urgent", "tags": ["Network", "vpn"]})
    assert response.status_code == 200, response.json()
    assert response.json()["priority"] == "urgent"
    assert response.json()["tags"] == ["network", "vpn"]
    assert response.json()["version"] == 2
    stale = client.patch(f"tickets/{ticket.id}", {"version": 1, "title": "Again"})
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    assert stale.json()["details"]["current_version"] == 2
    event = TicketEvent.objects.get(kind="updated")
    assert event.old == {"priority": "normal", "tags": []}
    assert event.new == {"priority": "urgent", "tags": ["network", "vpn"]}


def test_patch_requires_version_and_rejects_unknown_fields(api, agent, requester, team):
    ticket = make_ticket(requester, team=team)
    assert api(agent).patch(f"tickets/{ticket.id}", {"title": "x"}).json()["details"]["fields"]["version"]
    response = api(agent).patch(f"tickets/{ticket.id}", {"version": 1, "status": "closed"})
    assert response.status_code == 422
    assert "status" in response.json()["details"]["fields"]


def test_requester_may_edit_title_only_while_open(api, requester, team):
    ticket = make_ticket(requester, team=team)
    assert api(requester).patch(f"tickets/{ticket.id}", {"version": 1, "title": "Better title"}).status_code == 200
    denied = api(requester).patch(f"tickets/{ticket.id}", {"version": 2, "priority": "urgent"})
    assert denied.status_code == 403
    assert denied.json()["details"]["fields"] == ["priority"]


def test_delete_is_admin_only(api, agent, admin_user, requester, team):
    ticket = make_ticket(requester, team=team)
    assert api(agent).delete(f"tickets/{ticket.id}").status_code == 403
    assert api(admin_user).delete(f"tickets/{ticket.id}").status_code == 204
    assert not Ticket.objects.filter(pk=ticket.pk).exists()


def test_assign_rules(api, agent, requester, team, admin_user):
    ticket = make_ticket(requester, team=team)
    outsider = make_user(Role.AGENT, teams=[make_team()])
    client = api(agent)
    assert client.post(f"tickets/{ticket.id}/assign", {"assignee_id": agent.id}).json()["assignee"]["id"] == agent.id
    bad = client.post(f"tickets/{ticket.id}/assign", {"assignee_id": outsider.id})
    assert bad.status_code == 422 and bad.json()["details"]["fields"]["assignee_id"]
    assert client.post(f"tickets/{ticket.id}/assign", {"assignee_id": requester.id}).status_code == 422
    assert client.post(f"tickets/{ticket.id}/assign", {"assignee_id": admin_user.id}).status_code == 200
    assert client.post(f"tickets/{ticket.id}/assign", {"assignee_id": None}).json()["assignee"] is None
    assert api(requester).post(f"tickets/{ticket.id}/assign", {"assignee_id": agent.id}).status_code == 403
    assert list(TicketEvent.objects.filter(kind="assigned").values_list("old", "new")) == [
        (None, agent.id),
        (agent.id, admin_user.id),
        (admin_user.id, None),
    ]


def test_watch_and_unwatch(api, requester, agent, team):
    ticket = make_ticket(make_user(), team=team)
    response = api(agent).post(f"tickets/{ticket.id}/watch")
    assert [w["id"] for w in response.json()["watchers"]] == [agent.id]
    assert api(agent).post(f"tickets/{ticket.id}/watch").status_code == 200  # idempotent
    assert api(agent).delete(f"tickets/{ticket.id}/watch").json()["watchers"] == []
    assert list(TicketEvent.objects.values_list("kind", flat=True)) == ["watcher_added", "watcher_removed"]
    assert api(requester).post(f"tickets/{ticket.id}/watch").status_code == 404


def test_events_endpoint_lists_activity(api, agent, requester, team):
    ticket = api(requester).post("tickets", {"title": "Hi", "team_id": team.id}).json()
    api(agent).post(f"tickets/{ticket['id']}/transition", {"status": "open", "reason": "triaged"})
    events = api(requester).get(f"tickets/{ticket['id']}/events").json()
    assert [(e["kind"], e["new"]) for e in events["items"]][1] == ("status_changed", "open")
    assert events["items"][1]["note"] == "triaged"
    assert events["items"][1]["actor"]["id"] == agent.id


def test_patch_with_the_same_due_date_in_another_offset_is_no_change(api, agent, requester, team):
    ticket = make_ticket(requester, team=team)
    client = api(agent)
    first = client.patch(f"tickets/{ticket.id}", {"version": 1, "due_at": "2030-05-01T10:00:00Z"})
    assert first.status_code == 200 and first.json()["version"] == 2
    again = client.patch(f"tickets/{ticket.id}", {"version": 2, "due_at": "2030-05-01T12:00:00+02:00"})
    assert again.status_code == 200, again.json()
    assert again.json()["version"] == 2
    assert TicketEvent.objects.filter(ticket=ticket, kind="updated").count() == 1


@pytest.mark.parametrize("field", ["title", "description", "priority", "type", "tags", "version"])
def test_patch_refuses_null_for_fields_that_cant_be_cleared(api, agent, requester, team, field):
    ticket = make_ticket(requester, team=team)
    body = {"version": 1, field: None}
    response = api(agent).patch(f"tickets/{ticket.id}", body)
    assert response.status_code == 422, response.content
    assert list(response.json()["details"]["fields"]) == [field]
    assert Ticket.objects.get(pk=ticket.pk).version == 1


def test_patch_may_clear_the_due_date_and_team(api, agent, requester, team):
    ticket = make_ticket(requester, team=team)
    client = api(agent)
    client.patch(f"tickets/{ticket.id}", {"version": 1, "due_at": "2030-05-01T10:00:00Z"})
    cleared = client.patch(f"tickets/{ticket.id}", {"version": 2, "due_at": None, "team_id": None})
    assert cleared.status_code == 200, cleared.json()
    assert cleared.json()["due_at"] is None and cleared.json()["team"] is None


@pytest.mark.parametrize("value", ["0", "-3"])
def test_a_zero_or_negative_id_filter_is_refused_not_dropped(api, agent, value):
    for name in ("requester", "team", "assignee"):
        response = api(agent).get("tickets", {name: value})
        assert response.status_code == 422, (name, response.content)
        assert list(response.json()["details"]["fields"]) == [name]
