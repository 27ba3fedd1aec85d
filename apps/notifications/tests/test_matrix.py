"""The recipient matrix: for each event and relation, who gets an in-app notification and who an email.

Every action goes through the real services and commits; the notifications come from the
after-commit subscriber, as in production. With default settings both channels reach the same
people; test_settings.py shows the channels are independent. docs/notifications.md has the table.
"""

import pytest

from apps.approvals import services as approvals
from apps.comments import services as comments
from apps.core.events import broadcast_on_commit
from apps.notifications.models import Notification
from apps.notifications.tests.conftest import Cast
from apps.tickets import services as tickets
from apps.tickets.broadcast import ticket_audience, ticket_payload, ticket_topics

pytestmark = pytest.mark.django_db(transaction=True)

FOLLOWERS = ("requester", "watcher", "staff_watcher", "assignee")


def expect(kind: str, *relations: str) -> dict[str, set[str]]:
    return {relation: {kind} for relation in relations}


def comment(c: Cast, author, body: str, *, internal: bool = False):
    return comments.comment_create(actor=author, ticket_id=c.ticket.pk, body=body, internal=internal)


def start_approval(c: Cast):
    return approvals.approval_start(actor=c.actor, ticket_id=c.ticket.pk, workflow_id=c.workflow().pk)


def emit_sla(c: Cast, event: str, *, clock: str = "resolution") -> None:
    """What the SLA app emits (contracts.md), emitted here as it would be."""
    from django.db import transaction

    with transaction.atomic():
        data = {
            "ticket": ticket_payload(c.ticket),
            "clock": clock,
            "due_at": "2026-12-01T14:30:00+00:00",
            "breached_at": None,
            "policy": "Standard",
            "actor_id": None,
        }
        broadcast_on_commit(event, data, topics=ticket_topics(c.ticket.pk), audience=ticket_audience(c.ticket))


SCENARIOS = {
    "assignment": (
        lambda c: tickets.ticket_assign(actor=c.actor, ticket_id=c.ticket.pk, assignee_id=c.agent2.pk),
        expect("assigned", "agent2"),
    ),
    "assignment to oneself": (
        lambda c: tickets.ticket_assign(actor=c.actor, ticket_id=c.ticket.pk, assignee_id=c.actor.pk),
        {},
    ),
    "public comment by staff": (
        lambda c: comment(c, c.actor, "We are on it."),
        expect("comment_added", *FOLLOWERS),
    ),
    "public comment by the requester": (
        lambda c: comment(c, c.requester, "Any news?"),
        expect("comment_added", "watcher", "staff_watcher", "assignee"),
    ),
    "internal note": (
        lambda c: comment(c, c.actor, "Looks like the firewall.", internal=True),
        expect("comment_added", "staff_watcher", "assignee"),
    ),
    "comment with mentions": (
        lambda c: comment(c, c.actor, "@mentioned please check; @stranger @stranger_agent fyi"),
        expect("comment_added", *FOLLOWERS) | expect("mentioned", "mentioned"),
    ),
    "internal note mentioning the requester": (
        lambda c: comment(c, c.actor, "@requester must not see this; @mentioned can", internal=True),
        expect("comment_added", "staff_watcher", "assignee") | expect("mentioned", "mentioned"),
    ),
    "mention of a follower": (
        lambda c: comment(c, c.actor, "@watcher can you confirm?"),
        expect("comment_added", "requester", "staff_watcher", "assignee") | expect("mentioned", "watcher"),
    ),
    "status change": (
        lambda c: tickets.ticket_transition(actor=c.actor, ticket_id=c.ticket.pk, status="in_progress"),
        expect("status_changed", *FOLLOWERS),
    ),
    "status change by the requester": (
        lambda c: tickets.ticket_transition(actor=c.requester, ticket_id=c.ticket.pk, status="closed"),
        expect("status_changed", "watcher", "staff_watcher", "assignee"),
    ),
    "approval requested": (
        start_approval,
        expect("approval_requested", "approver", "delegate") | expect("status_changed", *FOLLOWERS),
    ),
    "SLA warning": (
        lambda c: emit_sla(c, "ticket.sla_warning"),
        expect("sla_warning", "assignee", "lead"),
    ),
    "SLA breach": (
        lambda c: emit_sla(c, "ticket.sla_breached", clock="first_response"),
        expect("sla_breached", "assignee", "lead"),
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_recipient_matrix(cast, name):
    act, expected = SCENARIOS[name]
    act(cast)
    assert cast.in_app() == expected
    assert cast.emailed() == expected


def test_approval_granted_tells_requester_and_starter_once_and_followers_the_status(cast):
    approval = start_approval(cast)
    mark = cast.mark()
    approvals.approval_decide(actor=cast.approver, approval_id=approval.pk, decision="approve")
    assert cast.in_app(after=mark) == expect("approval_decided", "requester", "actor") | expect(
        "status_changed", "watcher", "staff_watcher", "assignee"
    )


def test_rejection_by_a_delegate(cast):
    approval = start_approval(cast)
    mark = cast.mark()
    approvals.approval_decide(actor=cast.delegate, approval_id=approval.pk, decision="reject", comment="Over budget")
    assert cast.in_app(after=mark) == expect("approval_decided", "requester", "actor") | expect(
        "status_changed", "watcher", "staff_watcher", "assignee"
    )
    rejection = Notification.objects.get(recipient=cast.requester, kind="approval_decided")
    assert rejection.message == f"Delegate rejected the approval of {cast.ticket.key} “VPN down”"
    assert rejection.detail == "Over budget"


def test_a_step_decision_that_does_not_end_the_request_tells_the_next_approvers(cast):
    from apps.approvals.tests.factories import make_workflow

    workflow = make_workflow({"users": [cast.approver]}, {"users": [cast.agent2]})
    approval = approvals.approval_start(actor=cast.actor, ticket_id=cast.ticket.pk, workflow_id=workflow.pk)
    mark = cast.mark()
    approvals.approval_decide(actor=cast.approver, approval_id=approval.pk, decision="approve")
    assert cast.in_app(after=mark) == expect("approval_requested", "agent2")


@pytest.mark.parametrize(
    ("assigned", "with_team", "expected"),
    [
        (True, True, {"assignee", "lead"}),
        (False, True, {"staff_watcher", "assignee", "actor", "agent2", "mentioned", "lead"}),
        (False, False, {"admin"}),
    ],
)
def test_sla_recipients(cast, assigned, with_team, expected):
    from apps.tickets.models import Ticket

    Ticket.objects.filter(pk=cast.ticket.pk).update(
        assignee=cast.assignee if assigned else None, team=cast.team if with_team else None
    )
    cast.ticket.refresh_from_db()
    emit_sla(cast, "ticket.sla_breached")
    assert set(cast.in_app()) == expected


def test_nobody_hears_about_what_they_can_no_longer_see(cast):
    """Visibility is checked when notifications are derived, not when the audience was frozen."""
    cast.team.members.remove(cast.staff_watcher)  # left the team: watches a ticket they can't see now
    cast.ticket.watchers.remove(cast.staff_watcher)
    cast.ticket.watchers.add(cast.stranger_agent)  # an agent of another team watching: sees it as watcher
    comment(cast, cast.actor, "Update", internal=False)
    assert set(cast.in_app()) == {"requester", "watcher", "assignee", "stranger_agent"}


def test_inactive_people_are_not_notified(cast):
    type(cast.watcher).objects.filter(pk=cast.watcher.pk).update(is_active=False)
    comment(cast, cast.actor, "Update")
    assert "watcher" not in cast.in_app()
