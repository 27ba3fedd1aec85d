import pytest

from apps.accounts.models import Role
from apps.core.testing.factories import make_team, make_user
from apps.tickets.broadcast import ticket_audience
from apps.tickets.permissions import Viewer, audience_allows
from apps.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def _every_endpoint(client, ticket_id):
    return {
        "get": client.get(f"tickets/{ticket_id}"),
        "patch": client.patch(f"tickets/{ticket_id}", {"version": 1, "title": "x"}),
        "transition": client.post(f"tickets/{ticket_id}/transition", {"status": "closed"}),
        "assign": client.post(f"tickets/{ticket_id}/assign", {"assignee_id": None}),
        "events": client.get(f"tickets/{ticket_id}/events"),
        "watch": client.post(f"tickets/{ticket_id}/watch"),
        "delete": client.delete(f"tickets/{ticket_id}"),
    }


def test_requester_gets_404_on_someone_elses_ticket_everywhere(api, requester, team):
    other = make_ticket(make_user(), team=team)
    for name, response in _every_endpoint(api(requester), other.id).items():
        assert response.status_code == 404, name
        assert response.json()["code"] == "not_found", name
    assert api(requester).get("tickets").json()["items"] == []


def test_a_forbidden_ticket_looks_like_a_missing_one(api, requester, team):
    other = make_ticket(make_user(), team=team)
    forbidden = api(requester).get(f"tickets/{other.id}").json()
    missing = api(requester).get("tickets/987654").json()
    assert forbidden == missing


def test_agent_outside_the_team_gets_404(api, requester, team):
    ticket = make_ticket(requester, team=team)
    outsider = make_user(Role.AGENT, teams=[make_team("Facilities")])
    for name, response in _every_endpoint(api(outsider), ticket.id).items():
        assert response.status_code == 404, name


def test_visibility_matrix_on_the_list(api, requester, agent, admin_user, team):
    facilities = make_team("Facilities")
    own = make_ticket(requester, team=team, title="own")
    watched = make_ticket(make_user(), team=facilities, title="watched")
    watched.watchers.add(requester)
    in_team = make_ticket(make_user(), team=team, title="in team")
    triage = make_ticket(make_user(), team=None, title="triage")
    elsewhere = make_ticket(make_user(), team=facilities, title="elsewhere")

    def titles(user):
        return sorted(item["title"] for item in api(user).get("tickets").json()["items"])

    assert titles(requester) == ["own", "watched"]
    assert titles(agent) == ["in team", "own", "triage"]
    assert titles(admin_user) == sorted(t.title for t in [own, watched, in_team, triage, elsewhere])


def test_websocket_audience_predicate_agrees_with_rest(requester, agent, admin_user, team):
    facilities = make_team("Facilities")
    outsider_agent = make_user(Role.AGENT, teams=[facilities])
    stranger = make_user()
    ticket = make_ticket(requester, team=team)
    audience = ticket_audience(ticket).__dict__
    for user, expected in [
        (requester, True),
        (agent, True),
        (admin_user, True),
        (outsider_agent, False),
        (stranger, False),
    ]:
        assert audience_allows(Viewer.of(user), audience) is expected, user
    internal = ticket_audience(ticket, staff_only=True).__dict__
    assert audience_allows(Viewer.of(requester), internal) is False
    assert audience_allows(Viewer.of(agent), internal) is True
