"""The activity log names the people and teams its rows refer to by id (the timeline's sentences)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Role
from apps.core.testing.factories import make_team, make_user
from apps.tickets.services import ticket_assign, ticket_create, ticket_update, ticket_watch

pytestmark = pytest.mark.django_db


def test_rows_carry_the_names_of_who_and_which_team(api, requester, agent, team, admin_user):
    facilities = make_team("Facilities", members=[agent])
    ticket = ticket_create(actor=requester, title="Door stuck", team_id=team.pk)
    ticket_assign(actor=agent, ticket_id=ticket.pk, assignee_id=agent.pk)
    ticket_update(
        actor=admin_user, ticket_id=ticket.pk, version=2, changes={"priority": "high", "team_id": facilities.pk}
    )
    ticket_watch(actor=admin_user, ticket_id=ticket.pk, user=agent)

    rows = api(requester).get(f"tickets/{ticket.pk}/events").json()["items"]
    by_kind = {row["kind"]: row for row in rows}
    assert by_kind["created"]["names"] == {}
    assert by_kind["assigned"]["new"] == agent.pk
    assert by_kind["assigned"]["names"] == {f"user:{agent.pk}": "Alan Agent"}
    assert by_kind["updated"]["old"] == {"priority": "normal", "team_id": team.pk}
    assert by_kind["updated"]["names"] == {f"team:{team.pk}": "Service Desk", f"team:{facilities.pk}": "Facilities"}
    assert by_kind["watcher_added"]["names"] == {f"user:{agent.pk}": "Alan Agent"}


def test_names_cost_two_queries_whatever_the_page(api, requester, team, admin_user):
    def count(n: int) -> int:
        ticket = ticket_create(actor=requester, title="Busy", team_id=team.pk)
        agents = [make_user(Role.ADMIN) for _ in range(n)]  # admins may be assigned whatever the team
        teams = [make_team() for _ in range(n)]
        version = 1
        for person, other in zip(agents, teams, strict=True):
            ticket_assign(actor=admin_user, ticket_id=ticket.pk, assignee_id=person.pk)
            version += 1
            ticket_update(actor=admin_user, ticket_id=ticket.pk, version=version, changes={"team_id": other.pk})
            version += 1
        client = api(requester)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(f"tickets/{ticket.pk}/events", {"limit": 200}).json()
        assert len(page["items"]) == 1 + 2 * n
        assert all(row["names"] for row in page["items"] if row["kind"] != "created")
        return len(queries)

    assert count(2) == count(20)
