"""What the tickets app reads from approvals: visibility subquery, websocket audiences, the summary."""

from datetime import timedelta

import pytest
from django.db.models import QuerySet

from apps.accounts.models import Role
from apps.approvals import selectors, services
from apps.approvals.tests.factories import make_delegation, make_workflow
from apps.core.testing.factories import make_user
from apps.tickets.permissions import visible_tickets
from apps.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(agent, requester, team, approvers):
    workflow = make_workflow({"users": approvers[:1]}, {"users": approvers[1:2]}, name="Access request")
    ticket = make_ticket(requester, team=team)
    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
    return ticket, approval


def test_approver_ticket_ids_is_a_subquery_that_grants_visibility(setup, approvers):
    ticket, _ = setup
    ids = selectors.approver_ticket_ids(approvers[0])
    assert isinstance(ids, QuerySet)
    assert [next(iter(row.values())) for row in ids] == [ticket.pk]
    # Every approver of the request sees the ticket (also those of later steps); outsiders don't.
    assert list(visible_tickets(approvers[1])) == [ticket]
    assert list(visible_tickets(make_user())) == []


def test_delegates_see_while_the_window_is_open_and_keep_what_they_decided(setup, approvers):
    ticket, approval = setup
    active, expired = make_user(Role.REQUESTER), make_user(Role.REQUESTER)
    make_delegation(approvers[0], active)
    make_delegation(approvers[0], expired, starts_in=timedelta(days=-9), lasts=timedelta(days=1))
    assert list(visible_tickets(active)) == [ticket]
    assert list(visible_tickets(expired)) == []

    services.approval_decide(actor=active, approval_id=approval.pk, decision="reject", comment="No")
    # The request is over, the delegation may end: the delegate still sees what they decided.
    assert list(visible_tickets(active)) == [ticket]


def test_approver_user_ids_lists_approvers_and_current_delegates(setup, approvers):
    ticket, _ = setup
    stand_in = make_user()
    make_delegation(approvers[1], stand_in)
    make_delegation(approvers[0], make_user(), starts_in=timedelta(days=3))
    assert selectors.approver_user_ids(ticket.pk) == {approvers[0].pk, approvers[1].pk, stand_in.pk}
    assert selectors.approver_user_ids(make_ticket(make_user()).pk) == set()


def test_latest_approval_summary(setup, agent, requester, team):
    ticket, approval = setup
    assert selectors.latest_approval_summary(ticket.pk) == {
        "id": approval.pk,
        "ticket_id": ticket.pk,
        "state": "pending",
        "workflow": "Access request",
        "current_step": 1,
        "steps_total": 2,
    }
    services.approval_cancel(actor=agent, approval_id=approval.pk)
    assert selectors.latest_approval_summary(ticket.pk)["state"] == "cancelled"
    assert selectors.latest_approval_summary(make_ticket(requester, team=team).pk) is None
