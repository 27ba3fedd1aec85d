import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Role
from apps.comments.models import Comment
from apps.core.testing.factories import make_team, make_user
from apps.macros.models import Macro
from apps.macros.services import macro_create
from apps.tickets.models import Priority, Ticket, TicketEvent
from apps.tickets.services import ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(requester, team):
    return ticket_create(actor=requester, title="Printer *on* fire", team_id=team.pk)


@pytest.fixture
def outsider(db):
    """An agent of another team: can't see the ticket of `team`, nor its team macros."""
    return make_user(Role.AGENT, teams=[make_team("Facilities")], name="Olga Outsider")


def create(api, user, **body):
    body.setdefault("name", "Thanks")
    body.setdefault("body", "Hello {{requester.first_name}}")
    return api(user).post("macros", body)


RESOLVE = {
    "name": "Resolve with thanks",
    "body": "Hi {{requester.first_name}}, {{ticket.number}} ({{ticket.title}}) is fixed. — {{agent.name}}",
    "set_status": "resolved",
    "set_priority": "high",
    "assign": "me",
}


def test_agent_defines_a_personal_macro_only_they_see(api, agent, team):
    created = create(api, agent, **RESOLVE)
    assert created.status_code == 201, created.json()
    macro = created.json()
    assert macro["visibility"] == "personal" and macro["team"] is None and macro["owner"]["id"] == agent.pk
    assert macro["set_status"] == "resolved" and macro["set_priority"] == "high" and macro["assign"] == "me"
    assert macro["permissions"] == {"change": True, "delete": True}
    teammate = make_user(Role.AGENT, teams=[team])
    assert api(teammate).get(f"macros/{macro['id']}").status_code == 404
    assert api(teammate).get("macros").json()["items"] == []
    assert [m["id"] for m in api(agent).get("macros").json()["items"]] == [macro["id"]]


def test_unknown_placeholders_are_refused(api, agent):
    response = create(api, agent, body="Hi {{requester.name}}, see {{ settings.SECRET_KEY }}")
    assert response.status_code == 422
    assert "settings.SECRET_KEY" in response.json()["details"]["fields"]["body"][0]
    assert not Macro.objects.exists()


def test_team_and_global_visibility(api, agent, team, outsider, admin_user, requester):
    team_macro = create(api, agent, name="Team reply", visibility="team", team_id=team.pk).json()
    teammate = make_user(Role.AGENT, teams=[team])
    assert api(teammate).get(f"macros/{team_macro['id']}").json()["permissions"] == {"change": True, "delete": True}
    assert api(outsider).get(f"macros/{team_macro['id']}").status_code == 404
    assert api(admin_user).get(f"macros/{team_macro['id']}").status_code == 200

    # Agents can't define macros for other teams or for everyone; requesters none at all.
    elsewhere = create(api, outsider, visibility="team", team_id=team.pk)
    assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "macro_visibility_not_allowed"
    assert create(api, agent, visibility="global").status_code == 403
    assert create(api, requester).json()["code"] == "staff_only"
    assert create(api, agent, visibility="team").json()["details"]["fields"]["team_id"]

    global_macro = create(api, admin_user, name="Everyone", visibility="global").json()
    seen = api(agent).get(f"macros/{global_macro['id']}").json()
    assert seen["permissions"] == {"change": False, "delete": False}
    refused = api(agent).patch(f"macros/{global_macro['id']}", {"version": 1, "name": "Mine now"})
    assert refused.status_code == 403 and refused.json()["code"] == "not_editable"
    assert api(agent).delete(f"macros/{global_macro['id']}").status_code == 403
    assert Macro.objects.get(pk=global_macro["id"]).name == "Everyone"


def test_requesters_never_see_internal_macros(api, admin_user, requester, ticket):
    internal = create(api, admin_user, name="Escalate", visibility="global", internal=True).json()
    public = create(api, admin_user, name="Thanks", visibility="global").json()
    team_public = create(api, admin_user, name="Team", visibility="team", team_id=ticket.team_id).json()

    listed = api(requester).get("macros").json()["items"]
    assert [m["id"] for m in listed] == [public["id"]]
    assert listed[0]["permissions"] == {"change": False, "delete": False}
    for macro in (internal, team_public):
        assert api(requester).get(f"macros/{macro['id']}").status_code == 404
        assert api(requester).get(f"tickets/{ticket.pk}/macros/{macro['id']}/preview").status_code == 404
        assert api(requester).post(f"tickets/{ticket.pk}/macros/{macro['id']}/apply").status_code == 404
    assert api(requester).get("macros", {"q": "escalate"}).json()["items"] == []
    assert not Comment.objects.exists()


def test_preview_fills_placeholders_for_this_ticket_and_caller(api, agent, ticket):
    macro = create(api, agent, **RESOLVE).json()
    preview = api(agent).get(f"tickets/{ticket.pk}/macros/{macro['id']}/preview")
    assert preview.status_code == 200
    assert preview.json() == {
        "body": rf"Hi Rita, {ticket.key} (Printer \*on\* fire) is fixed. — Alan Agent",
        "internal": False,
        "actions": ["Assign to me", "Set priority to high", "Set status to Resolved"],
    }


def test_apply_replies_and_acts_through_the_services(api, agent, ticket):
    macro = create(api, agent, **RESOLVE).json()
    ticket_events_before = TicketEvent.objects.filter(ticket=ticket).count()

    response = api(agent).post(f"tickets/{ticket.pk}/macros/{macro['id']}/apply")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["comment"]["body"] == rf"Hi Rita, {ticket.key} (Printer \*on\* fire) is fixed. — Alan Agent"
    assert data["comment"]["body_html"] == f"<p>Hi Rita, {ticket.key} (Printer *on* fire) is fixed. — Alan Agent</p>\n"
    assert data["comment"]["internal"] is False and data["comment"]["author"]["id"] == agent.pk
    assert data["ticket"]["status"] == "resolved"
    assert data["ticket"]["priority"] == "high"
    assert data["ticket"]["assignee"]["id"] == agent.pk
    assert data["actions"] == ["Assign to me", "Set priority to high", "Set status to Resolved"]

    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.status, stored.priority, stored.assignee_id) == ("resolved", Priority.HIGH, agent.pk)
    assert stored.resolved_at is not None
    # The services' own activity rows, in order, each by the agent: the same as doing it by hand.
    rows = list(TicketEvent.objects.filter(ticket=ticket).order_by("id")[ticket_events_before:])
    assert [(row.kind, row.actor_id) for row in rows] == [
        ("macro_applied", agent.pk),
        ("comment_added", agent.pk),
        ("assigned", agent.pk),
        ("updated", agent.pk),
        ("status_changed", agent.pk),
    ]
    assert rows[0].new == {"macro_id": macro["id"], "name": "Resolve with thanks"}
    assert rows[3].new == {"priority": "high"} and rows[4].new == "resolved"
    assert rows[4].note == "Macro: Resolve with thanks"


def test_apply_posts_an_edited_body_as_written_and_internal_macros_post_notes(api, agent, requester, ticket):
    note = create(api, agent, name="Note", body="Checked {{ticket.number}}", internal=True).json()
    response = api(agent).post(f"tickets/{ticket.pk}/macros/{note['id']}/apply", {"body": "Edited {{x}} *text*"})
    assert response.status_code == 200
    comment = response.json()["comment"]
    assert comment["body"] == "Edited {{x}} *text*" and comment["internal"] is True
    # The requester sees neither the note nor that a macro was applied.
    assert api(requester).get(f"tickets/{ticket.pk}/comments").json()["items"] == []
    kinds = [e["kind"] for e in api(requester).get(f"tickets/{ticket.pk}/events").json()["items"]]
    assert "macro_applied" not in kinds and "comment_added" not in kinds


def test_statuses_only_the_approvals_app_sets_are_refused(api, agent):
    response = create(api, agent, set_status="approved")
    assert response.status_code == 422 and "set_status" in response.json()["details"]["fields"]


def test_a_refused_action_undoes_the_whole_apply(api, agent, ticket):
    # A closed ticket can't go back to work: the workflow refuses the move, so nothing is posted.
    Ticket.objects.filter(pk=ticket.pk).update(status="closed")
    macro = create(api, agent, name="Work", body="On it.", assign="me", set_status="in_progress").json()
    before = TicketEvent.objects.filter(ticket=ticket).count()
    response = api(agent).post(f"tickets/{ticket.pk}/macros/{macro['id']}/apply")
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    assert not Comment.objects.exists()
    assert TicketEvent.objects.filter(ticket=ticket).count() == before
    assert Ticket.objects.get(pk=ticket.pk).assignee_id is None


def test_requester_applying_a_public_macro_gets_the_services_rules(api, admin_user, requester, ticket):
    thanks = create(api, admin_user, name="Thanks", body="Thanks!", visibility="global", set_status="closed").json()
    bump = create(api, admin_user, name="Bump", body="Any news?", visibility="global", set_priority="urgent").json()
    # Closing their own ticket is the requester's right (workflow); setting priority is not.
    refused = api(requester).post(f"tickets/{ticket.pk}/macros/{bump['id']}/apply")
    assert refused.status_code == 403 and refused.json()["code"] == "field_not_editable"
    assert not Comment.objects.exists()
    done = api(requester).post(f"tickets/{ticket.pk}/macros/{thanks['id']}/apply")
    assert done.status_code == 200, done.json()
    assert done.json()["ticket"]["status"] == "closed"


def test_forbidden_ticket_is_404_and_nothing_happens(api, outsider, ticket, admin_user):
    macro = create(api, admin_user, name="Everyone", visibility="global", set_status="in_progress").json()
    assert api(outsider).get(f"tickets/{ticket.pk}/macros/{macro['id']}/preview").status_code == 404
    response = api(outsider).post(f"tickets/{ticket.pk}/macros/{macro['id']}/apply")
    assert response.status_code == 404
    assert not Comment.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_update_needs_the_current_version_and_checks_like_create(api, agent, team):
    macro = create(api, agent).json()
    updated = api(agent).patch(f"macros/{macro['id']}", {"version": 1, "name": "Hello", "set_priority": "low"})
    assert updated.status_code == 200, updated.json()
    assert updated.json()["name"] == "Hello" and updated.json()["version"] == 2
    assert updated.json()["set_priority"] == "low"
    stale = api(agent).patch(f"macros/{macro['id']}", {"version": 1, "name": "Again"})
    assert stale.status_code == 409 and stale.json()["details"]["current_version"] == 2
    unchanged = api(agent).patch(f"macros/{macro['id']}", {"version": 2, "name": "Hello"})
    assert unchanged.json()["version"] == 2
    bad = api(agent).patch(f"macros/{macro['id']}", {"version": 2, "body": "{{nope}}"})
    assert bad.status_code == 422 and "body" in bad.json()["details"]["fields"]
    assert api(agent).patch(f"macros/{macro['id']}", {"version": 2, "visibility": "global"}).status_code == 403
    shared = api(agent).patch(f"macros/{macro['id']}", {"version": 2, "visibility": "team", "team_id": team.pk})
    assert shared.status_code == 200 and shared.json()["team"]["id"] == team.pk
    cleared = api(agent).patch(f"macros/{macro['id']}", {"version": 3, "set_priority": None})
    assert cleared.json()["set_priority"] is None
    assert api(agent).delete(f"macros/{macro['id']}").status_code == 204
    assert not Macro.objects.exists()


def test_no_mass_assignment(api, agent, admin_user):
    response = create(api, agent, owner_id=admin_user.pk)
    assert response.status_code == 422
    macro = create(api, agent).json()
    assert api(agent).patch(f"macros/{macro['id']}", {"version": 1, "owner_id": admin_user.pk}).status_code == 422
    assert api(agent).patch(f"macros/{macro['id']}", {"version": 1, "name": None}).status_code == 422
    assert Macro.objects.get(pk=macro["id"]).owner_id == agent.pk


def test_assignee_must_be_staff(api, agent, requester):
    response = create(api, agent, assign="user", assign_user_id=requester.pk)
    assert response.status_code == 422 and "assign_user_id" in response.json()["details"]["fields"]
    assert create(api, agent, assign_user_id=agent.pk).status_code == 422
    ok = create(api, agent, assign="user", assign_user_id=agent.pk).json()
    assert ok["assign_user"]["id"] == agent.pk


def test_search_and_pages(api, agent):
    for n in range(7):
        macro_create(actor=agent, name=f"Reply {n}", body="Hello")
    macro_create(actor=agent, name="Password reset", body="Reset it at the portal")
    found = api(agent).get("macros", {"q": "PORTAL"}).json()["items"]
    assert [m["name"] for m in found] == ["Password reset"]
    first = api(agent).get("macros", {"limit": 5}).json()
    second = api(agent).get("macros", {"limit": 5, "cursor": first["next_cursor"]}).json()
    names = [m["name"] for m in first["items"] + second["items"]]
    assert names == ["Password reset", *[f"Reply {n}" for n in range(7)]]
    assert second["next_cursor"] is None
    other_search = api(agent).get("macros", {"q": "reply", "cursor": first["next_cursor"]})
    assert other_search.status_code == 422 and "cursor" in other_search.json()["details"]["fields"]


def test_list_queries_do_not_grow_with_the_page(api, agent, team, admin_user):
    def count(n: int) -> int:
        Macro.objects.all().delete()
        for i in range(n):
            macro_create(actor=agent, name=f"Team {i}", body="x", visibility="team", team_id=team.pk, assign="me")
            macro_create(
                actor=admin_user,
                name=f"Global {i}",
                body="x",
                visibility="global",
                assign="user",
                assign_user_id=agent.pk,
            )
        client = api(agent)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("macros", {"limit": 100})
        assert len(response.json()["items"]) == 2 * n
        return len(queries)

    assert count(2) == count(30)


def test_placeholders_are_listed(api, requester):
    listed = api(requester).get("macros/placeholders").json()
    assert {"name": "ticket.number", "description": "The ticket's key", "example": "HD-42"} in listed
