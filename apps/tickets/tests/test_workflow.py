"""Every allowed transition succeeds for the actor the table names; every other one is refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.core.testing.factories import make_user
from apps.tickets import workflow
from apps.tickets.models import Status, Ticket, TicketEvent
from apps.tickets.services import ticket_transition
from apps.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

ALL_PAIRS = [(a, b) for a in Status.values for b in Status.values if a != b]


@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS)
def test_staff_transitions_follow_the_table(api, agent, requester, team, from_status, to_status):
    ticket = make_ticket(requester, team=team, status=from_status)
    response = api(agent).post(f"tickets/{ticket.id}/transition", {"status": to_status})
    allowed = workflow.actors_for(from_status, to_status)
    if workflow.STAFF in allowed:
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == to_status
        event = TicketEvent.objects.get(ticket=ticket)
        assert (event.kind, event.old, event.new, event.actor_id) == (
            "status_changed",
            from_status,
            to_status,
            agent.id,
        )
    elif allowed == {workflow.SYSTEM}:
        assert response.status_code == 409
        assert response.json()["code"] == "approval_controlled"
    else:
        assert response.status_code == 409
        assert response.json()["code"] == "invalid_transition"
        assert Ticket.objects.get(pk=ticket.pk).status == from_status


@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS)
def test_requester_transitions_follow_the_table(api, requester, team, from_status, to_status):
    ticket = make_ticket(requester, team=team, status=from_status, resolved_at=timezone.now())
    response = api(requester).post(f"tickets/{ticket.id}/transition", {"status": to_status})
    allowed = workflow.actors_for(from_status, to_status)
    if workflow.REQUESTER in allowed:
        assert response.status_code == 200, response.json()
    elif not allowed:
        assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    elif allowed == {workflow.SYSTEM}:
        assert response.status_code == 409 and response.json()["code"] == "approval_controlled"
    else:
        assert response.status_code == 403 and response.json()["code"] == "transition_not_allowed"


@pytest.mark.parametrize(
    ("from_status", "to_status"), [p for p in ALL_PAIRS if workflow.SYSTEM in workflow.actors_for(*p)]
)
def test_system_moves_are_open_to_the_approvals_app(requester, team, from_status, to_status):
    ticket = make_ticket(requester, team=team, status=from_status)
    moved = ticket_transition(actor=requester, ticket_id=ticket.id, status=to_status, system=True)
    assert moved.status == to_status


def test_resolving_and_closing_stamp_times_and_reopen_clears_them(api, agent, requester, team):
    ticket = make_ticket(requester, team=team, status="in_progress")
    client = api(agent)
    client.post(f"tickets/{ticket.id}/transition", {"status": "resolved"})
    ticket.refresh_from_db()
    assert ticket.resolved_at is not None and ticket.closed_at is None
    api(requester).post(f"tickets/{ticket.id}/transition", {"status": "open", "reason": "still broken"})
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.resolved_at is None
    client.post(f"tickets/{ticket.id}/transition", {"status": "resolved"})
    client.post(f"tickets/{ticket.id}/transition", {"status": "closed"})
    ticket.refresh_from_db()
    assert ticket.closed_at is not None and ticket.version == 5


def test_requester_reopen_window(api, requester, agent, team, settings):
    settings.TICKET_REOPEN_WINDOW_DAYS = 7
    ticket = make_ticket(requester, team=team, status="resolved", resolved_at=timezone.now() - timedelta(days=8))
    refused = api(requester).post(f"tickets/{ticket.id}/transition", {"status": "open"})
    assert refused.status_code == 409 and refused.json()["code"] == "reopen_window_passed"
    assert "open" not in api(requester).get(f"tickets/{ticket.id}").json()["allowed_transitions"]
    # Staff may still reopen.
    assert api(agent).post(f"tickets/{ticket.id}/transition", {"status": "open"}).status_code == 200


def test_unknown_status_is_422(api, agent, requester, team):
    ticket = make_ticket(requester, team=team)
    response = api(agent).post(f"tickets/{ticket.id}/transition", {"status": "done"})
    assert response.status_code == 422 and "status" in response.json()["details"]["fields"]


def test_allowed_transitions_reflect_the_caller(api, agent, requester, team):
    ticket = make_ticket(requester, team=team, status="open")
    assert api(requester).get(f"tickets/{ticket.id}").json()["allowed_transitions"] == ["closed"]
    assert api(agent).get(f"tickets/{ticket.id}").json()["allowed_transitions"] == [
        "in_progress",
        "on_hold",
        "resolved",
        "closed",
    ]
    watcher = make_user()
    ticket.watchers.add(watcher)
    assert api(watcher).get(f"tickets/{ticket.id}").json()["allowed_transitions"] == []
