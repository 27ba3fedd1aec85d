"""Races on real PostgreSQL with threads: row locks and the number sequence must hold."""

import pytest

from apps.core.testing.client import ApiClient
from apps.core.testing.concurrency import run_concurrently
from apps.core.testing.markers import requires_postgres
from apps.tickets.models import Ticket, TicketEvent
from apps.tickets.tests.factories import make_ticket

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_two_patches_with_the_same_version_one_wins(agent, requester, team):
    ticket = make_ticket(requester, team=team)
    calls = [
        lambda title=title: ApiClient(agent).patch(f"tickets/{ticket.id}", {"version": 1, "title": title})
        for title in ("First", "Second")
    ]
    statuses = sorted(response.status_code for response in run_concurrently(calls))
    assert statuses == [200, 409]
    ticket.refresh_from_db()
    assert ticket.version == 2
    assert TicketEvent.objects.filter(ticket=ticket, kind="updated").count() == 1


def test_twenty_concurrent_creates_get_distinct_numbers(requester):
    calls = [lambda i=i: ApiClient(requester).post("tickets", {"title": f"Ticket {i}"}) for i in range(20)]
    responses = run_concurrently(calls)
    assert [r.status_code for r in responses] == [201] * 20
    numbers = [r.json()["number"] for r in responses]
    assert len(set(numbers)) == 20
    assert Ticket.objects.count() == 20


def test_concurrent_transitions_apply_once(agent, requester, team):
    ticket = make_ticket(requester, team=team, status="open")
    calls = [lambda: ApiClient(agent).post(f"tickets/{ticket.id}/transition", {"status": "in_progress"})] * 5
    statuses = sorted(r.status_code for r in run_concurrently(calls))
    assert statuses == [200, 409, 409, 409, 409]
    assert TicketEvent.objects.filter(ticket=ticket, kind="status_changed").count() == 1


def test_bulk_and_single_transitions_of_one_ticket_apply_once(agent, requester, team):
    """The bulk path locks the same row as the single endpoint: whichever comes second sees the new
    status and is refused (409 on the endpoint, an invalid_transition row in the bulk answer)."""
    for _ in range(3):
        ticket = make_ticket(requester, team=team, status="open")
        body = {"ids": [ticket.id], "action": "transition", "params": {"status": "in_progress"}}
        calls = [
            lambda body=body: ApiClient(agent).post("tickets/bulk", body),
            lambda path=f"tickets/{ticket.id}/transition": ApiClient(agent).post(path, {"status": "in_progress"}),
        ] * 3
        responses = run_concurrently(calls)
        bulk_rows = [r.json()["results"][0] for r in responses[0::2]]
        singles = [r.status_code for r in responses[1::2]]
        successes = sum(row["ok"] for row in bulk_rows) + singles.count(200)
        assert successes == 1
        assert {row["code"] for row in bulk_rows if not row["ok"]} <= {"invalid_transition"}
        assert set(singles) <= {200, 409}
        ticket.refresh_from_db()
        assert (ticket.status, ticket.version) == ("in_progress", 2)
        assert TicketEvent.objects.filter(ticket=ticket, kind="status_changed").count() == 1
