import pytest
from django.contrib.messages import get_messages
from django.test import Client

from apps.accounts.models import Role
from apps.core.testing.factories import make_user
from apps.tickets.models import Ticket, TicketEvent
from apps.tickets.services import ticket_assign, ticket_update
from apps.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(team):
    user = make_user(Role.ADMIN, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return user, client


# The activity log inline's management form, which every change form posts.
INLINE = {"events-TOTAL_FORMS": 0, "events-INITIAL_FORMS": 0}


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_changelist_with_filters_and_search(staff, requester, team, django_assert_max_num_queries):
    _user, client = staff
    for i in range(5):
        make_ticket(requester, team=team, title=f"Ticket {i}")
    with django_assert_max_num_queries(12):
        response = client.get("/admin/tickets/ticket/", {"status__exact": "new", "q": "Ticket"})
    assert response.status_code == 200
    assert b"Ticket 3" in response.content


def test_transition_action_goes_through_the_workflow(staff, requester, team):
    user, client = staff
    ok = make_ticket(requester, team=team, status="open")
    closed = make_ticket(requester, team=team, status="closed")
    response = client.post(
        "/admin/tickets/ticket/",
        {
            "action": "transition_to",
            "_selected_action": [ok.pk, closed.pk],
            "status": "in_progress",
        },
        follow=True,
    )
    messages = _messages(response)
    assert "Updated 1 ticket(s)." in messages
    assert any(m.startswith(f"{closed.key}: A ticket can't move from closed") for m in messages)
    assert Ticket.objects.get(pk=ok.pk).status == "in_progress"
    assert Ticket.objects.get(pk=closed.pk).status == "closed"
    assert TicketEvent.objects.filter(kind="status_changed", actor=user).count() == 1


def test_assign_action_checks_the_assignee(staff, requester, team, agent):
    _user, client = staff
    ticket = make_ticket(requester, team=team)
    client.post(
        "/admin/tickets/ticket/", {"action": "assign_to", "_selected_action": [ticket.pk], "assignee": agent.pk}
    )
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == agent.pk
    outsider = make_user(Role.AGENT)
    response = client.post(
        "/admin/tickets/ticket/",
        {"action": "assign_to", "_selected_action": [ticket.pk], "assignee": outsider.pk},
        follow=True,
    )
    assert any("Some fields are invalid" in m for m in _messages(response))
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == agent.pk


def test_change_form_saves_through_services(staff, requester, team):
    _user, client = staff
    ticket = make_ticket(requester, team=team, status="open")
    form = {
        "title": "Renamed in admin",
        "description": "",
        "priority": 4,
        "type": "incident",
        "team": team.pk,
        "due_at_0": "",
        "due_at_1": "",
        "tag_names": "hardware, urgent-fix",
        "assignee": "",
        "new_status": "in_progress",
        "reason": "picked up",
        "_save": "Save",
        **INLINE,
    }
    response = client.post(f"/admin/tickets/ticket/{ticket.pk}/change/", form, follow=True)
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.title, ticket.priority, ticket.status) == ("Renamed in admin", 4, "in_progress")
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["hardware", "urgent-fix"]
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True)) == [
        "updated",
        "status_changed",
    ]


def test_change_form_shows_domain_errors(staff, requester, team):
    _user, client = staff
    ticket = make_ticket(requester, team=team, status="closed")
    form = {
        "title": ticket.title,
        "description": "",
        "priority": 2,
        "type": "incident",
        "team": team.pk,
        "due_at_0": "",
        "due_at_1": "",
        "tag_names": "",
        "assignee": "",
        "new_status": "open",
        "reason": "",
        "_save": "Save",
        **INLINE,
    }
    response = client.post(f"/admin/tickets/ticket/{ticket.pk}/change/", form, follow=True)
    assert any(m.startswith("Not saved: A ticket can't move from closed to open") for m in _messages(response))
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"


def test_add_form_creates_through_the_service(staff, team):
    user, client = staff
    response = client.post(
        "/admin/tickets/ticket/add/",
        {
            "title": "From the admin",
            "description": "x",
            "priority": 2,
            "type": "question",
            "team": team.pk,
            "due_at_0": "",
            "due_at_1": "",
            "tag_names": "",
            "_save": "Save",
            **INLINE,
        },
        follow=True,
    )
    assert response.status_code == 200
    ticket = Ticket.objects.get(title="From the admin")
    assert ticket.number > 0 and ticket.requester_id == user.pk
    assert TicketEvent.objects.filter(ticket=ticket, kind="created").exists()


def test_activity_log_reads_as_sentences_without_raw_json(staff, requester, team, agent, django_assert_max_num_queries):
    user, client = staff
    ticket = make_ticket(requester, team=team)
    ticket_assign(actor=user, ticket_id=ticket.pk, assignee_id=agent.pk)
    ticket_update(actor=user, ticket_id=ticket.pk, version=2, changes={"priority": "high"})
    page = client.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    assert "assigned to Alan Agent" in page
    assert "changed priority normal → high" in page
    assert "{&quot;priority&quot;" not in page and '{"priority"' not in page

    for _ in range(10):
        ticket_assign(actor=user, ticket_id=ticket.pk, assignee_id=None)
        ticket_assign(actor=user, ticket_id=ticket.pk, assignee_id=agent.pk)
    with django_assert_max_num_queries(12):
        listing = client.get("/admin/tickets/ticketevent/").content.decode()
    assert listing.count("assigned to Alan Agent") == 11
    assert "unassigned Alan Agent" in listing
