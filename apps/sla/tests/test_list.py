"""The ticket list with SLA: `sla` on items, `sla=breached|at_risk`, `ordering=sla_due` with cursors."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.sla.sync import sla_sync_ticket
from apps.tickets import services as tickets

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(clock, run_on_commit, requester, agent, standard_policy):
    """Tickets raised 10 minutes apart from 08:00 (standard policy: first response due after 60 min,
    warning after 45), one without SLA (resolved at once is still SLA'd; this one is closed early),
    then the clock moved to 09:05."""
    made = {}
    for name in ("a", "b", "c", "d", "e"):
        made[name] = run_on_commit(tickets.ticket_create, actor=requester, title=f"Ticket {name}")
        clock.advance(minutes=10)
    # e: first response given at once; d: on hold (paused).
    from apps.comments.services import comment_create

    run_on_commit(comment_create, actor=agent, ticket_id=made["e"].pk, body="On it")
    run_on_commit(tickets.ticket_transition, actor=agent, ticket_id=made["d"].pk, status="on_hold")
    clock.now = clock.now.replace(hour=9, minute=5)
    for ticket in made.values():
        run_on_commit(sla_sync_ticket, ticket_id=ticket.pk)
    return made


def keys(response) -> list[str]:
    return [item["title"][-1] for item in response.json()["items"]]


def test_items_carry_sla(api, agent, board):
    items = {item["title"][-1]: item for item in api(agent).get("tickets").json()["items"]}
    assert items["a"]["sla"]["first_response"]["state"] == "breached"
    assert items["a"]["sla"]["policy"] == "Standard"
    assert items["d"]["sla"]["first_response"]["state"] == "paused"
    assert items["e"]["sla"]["first_response"]["state"] == "met"
    assert items["b"]["sla"]["resolution"]["state"] == "running"


def test_breached_and_at_risk_filters(api, agent, board):
    client = api(agent)
    # 09:05: a (due 09:00) breached; b (warning 08:55, due 09:10) at risk; c (warning 09:05) at risk;
    # d paused; e's first response met and its resolution (warning 11:40) is far away.
    assert keys(client.get("tickets", {"sla": "breached"})) == ["a"]
    # At risk defaults to nearest due first (b due 09:10, c 09:20); an explicit ordering still wins.
    assert keys(client.get("tickets", {"sla": "at_risk"})) == ["b", "c"]
    assert keys(client.get("tickets", {"sla": "at_risk", "ordering": "-created"})) == ["c", "b"]
    assert client.get("tickets", {"sla": "late"}).status_code == 422


def test_ordering_by_sla_due_walks_every_page(api, agent, board):
    client = api(agent)
    seen, cursor = [], None
    while True:
        params = {"ordering": "sla_due", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("tickets", params).json()
        seen += [item["title"][-1] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    # Nearest running due first (a's first response, overdue), then b, c; e by its resolution;
    # d is paused: no running clock, last.
    assert seen == ["a", "b", "c", "e", "d"]
    backwards, cursor = [], None
    while True:
        params = {"ordering": "-sla_due", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("tickets", params).json()
        backwards += [item["title"][-1] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert backwards == ["e", "c", "b", "a", "d"]


def test_list_query_count_does_not_grow_with_the_page(api, agent, clock, run_on_commit, requester, standard_policy):
    client = api(agent)
    client.get("users/me")  # the token is resolved once per process (cached authentication)
    for n in range(3):
        run_on_commit(tickets.ticket_create, actor=requester, title=f"Few {n}")
    clock.advance(minutes=50)
    with CaptureQueriesContext(connection) as few:
        assert client.get("tickets", {"sla": "at_risk", "ordering": "sla_due"}).status_code == 200
    for n in range(20):
        run_on_commit(tickets.ticket_create, actor=requester, title=f"Many {n}")
    clock.advance(minutes=50)
    with CaptureQueriesContext(connection) as many:
        response = client.get("tickets", {"sla": "at_risk", "ordering": "sla_due", "limit": 50})
    assert len(response.json()["items"]) == 23
    assert len(many.captured_queries) == len(few.captured_queries)


def test_live_events_carry_the_new_sla(clock, run_on_commit, requester, agent, standard_policy):
    from apps.core import events

    seen = []
    events.subscribe(seen.append)
    try:
        ticket = run_on_commit(tickets.ticket_create, actor=requester, title="Live")
        clock.advance(minutes=5)
        run_on_commit(tickets.ticket_transition, actor=agent, ticket_id=ticket.pk, status="on_hold")
    finally:
        events._subscribers.remove(seen.append)
    changed = [e for e in seen if e.name == "ticket.sla_changed"]
    assert [e.data["ticket"]["sla"]["resolution"]["state"] for e in changed] == ["running", "paused"]
    assert changed[0].data["actor_id"] is None
    assert changed[0].audience["ticket_id"] == ticket.pk
    assert changed[1].data["ticket"]["sla"]["resolution"]["remaining_minutes"] == (
        timedelta(minutes=235) / timedelta(minutes=1)
    )
