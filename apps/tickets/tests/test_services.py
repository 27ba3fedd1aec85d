"""Each service writes exactly the expected activity rows and announces the change after commit."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import transaction

from apps.core.testing.events import EventRecorder
from apps.core.testing.factories import make_user
from apps.tickets import services
from apps.tickets.models import TicketEvent
from apps.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db(transaction=True)


def kinds(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", "old", "new"))


def test_create_logs_and_broadcasts(requester, team):
    recorder = EventRecorder("tickets")
    ticket = services.ticket_create(actor=requester, title="Laptop", team_id=team.id)
    assert kinds(ticket) == [("created", None, {"status": "new", "title": "Laptop"})]
    [message] = recorder.drain()
    assert message["event"] == "ticket.created"
    assert message["data"]["ticket"]["number"] == ticket.key
    assert message["audience"] == {
        "ticket_id": ticket.id,
        "team_id": team.id,
        "user_ids": [requester.id],
        "staff_only": False,
    }


def test_update_transition_assign_watch_each_log_one_row(requester, agent, team):
    ticket = make_ticket(requester, team=team)
    recorder = EventRecorder(f"ticket:{ticket.id}", f"user:{agent.id}")
    services.ticket_update(actor=agent, ticket_id=ticket.id, version=1, changes={"title": "New", "priority": "high"})
    services.ticket_transition(actor=agent, ticket_id=ticket.id, status="open", reason="ok")
    services.ticket_assign(actor=agent, ticket_id=ticket.id, assignee_id=agent.id)
    services.ticket_watch(actor=agent, ticket_id=ticket.id)
    services.ticket_unwatch(actor=agent, ticket_id=ticket.id)
    assert kinds(ticket) == [
        ("updated", {"title": "Printer on fire", "priority": "normal"}, {"title": "New", "priority": "high"}),
        ("status_changed", "new", "open"),
        ("assigned", None, agent.id),
        ("watcher_added", None, agent.id),
        ("watcher_removed", agent.id, None),
    ]
    assert recorder.events(wait=1.0) == [  # four events over Redis on a loaded machine: a longer quiet window
        (f"ticket:{ticket.id}", "ticket.updated"),
        (f"ticket:{ticket.id}", "ticket.transitioned"),
        (f"ticket:{ticket.id}", "ticket.assigned"),
        (f"user:{agent.id}", "ticket.assigned"),
        (f"ticket:{ticket.id}", "ticket.updated"),
        (f"ticket:{ticket.id}", "ticket.updated"),
    ]


def test_no_op_changes_write_nothing(requester, agent, team):
    ticket = make_ticket(requester, team=team)
    recorder = EventRecorder(f"ticket:{ticket.id}")
    services.ticket_update(actor=agent, ticket_id=ticket.id, version=1, changes={"title": ticket.title})
    services.ticket_assign(actor=agent, ticket_id=ticket.id, assignee_id=None)
    assert kinds(ticket) == []
    assert recorder.events() == []
    ticket.refresh_from_db()
    assert ticket.version == 1


def test_rolled_back_change_is_not_announced(requester, agent, team):
    ticket = make_ticket(requester, team=team)
    recorder = EventRecorder(f"ticket:{ticket.id}")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.ticket_transition(actor=agent, ticket_id=ticket.id, status="open")
        raise RuntimeError("boom")
    assert recorder.events() == []
    assert kinds(ticket) == []


def test_delete_announces_to_the_old_audience(requester, admin_user, team):
    ticket = make_ticket(requester, team=team)
    recorder = EventRecorder(f"ticket:{ticket.id}")
    services.ticket_delete(actor=admin_user, ticket_id=ticket.id)
    [message] = recorder.drain()
    assert message["event"] == "ticket.deleted"
    assert requester.id in message["audience"]["user_ids"]


def test_changing_team_unassigns_an_agent_from_the_old_team(requester, agent, team):
    from apps.core.testing.factories import make_team

    ticket = make_ticket(requester, team=team, assignee=agent)
    other = make_team("Facilities", members=[make_user("agent")])
    services.ticket_update(actor=agent, ticket_id=ticket.id, version=1, changes={"team_id": other.id})
    ticket.refresh_from_db()
    assert ticket.team_id == other.id and ticket.assignee_id is None
    assert kinds(ticket)[0][1] == {"team_id": team.id, "assignee_id": agent.id}


def test_an_update_equal_by_meaning_changes_nothing(requester, agent, team):
    """The same instant in another offset, tags in another order or case: no version, no row, no event."""
    ticket = make_ticket(requester, team=team)
    services.ticket_update(
        actor=agent,
        ticket_id=ticket.id,
        version=1,
        changes={"due_at": datetime(2030, 5, 1, 10, 0, tzinfo=UTC), "tags": ["vpn", "network"]},
    )
    rows_before = kinds(ticket)
    recorder = EventRecorder(f"ticket:{ticket.id}")
    same_instant = datetime(2030, 5, 1, 23, 30, tzinfo=timezone(timedelta(hours=13, minutes=30)))
    unchanged = services.ticket_update(
        actor=agent, ticket_id=ticket.id, version=2, changes={"due_at": same_instant, "tags": ["network", "vpn"]}
    )
    assert unchanged.version == 2
    assert kinds(ticket) == rows_before
    assert recorder.drain() == []
    moved = services.ticket_update(
        actor=agent, ticket_id=ticket.id, version=2, changes={"due_at": same_instant + timedelta(minutes=1)}
    )
    assert moved.version == 3
    assert kinds(ticket)[-1] == (
        "updated",
        {"due_at": "2030-05-01T10:00:00+00:00"},
        {"due_at": "2030-05-01T10:01:00+00:00"},
    )
