"""Races on real PostgreSQL with threads: the request row lock and the unique constraints must hold."""

import pytest

from apps.approvals import services
from apps.approvals.models import ApprovalDecision, ApprovalRequest, RequestStep
from apps.approvals.tests.factories import make_workflow
from apps.core.errors import Conflict
from apps.core.testing.client import ApiClient
from apps.core.testing.concurrency import run_concurrently
from apps.core.testing.factories import make_user
from apps.core.testing.markers import requires_postgres
from apps.tickets.models import Ticket, TicketEvent
from apps.tickets.tests.factories import make_ticket

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_ten_approvers_on_an_any_step_advance_it_exactly_once(agent, requester, team, sent):
    deciders = [make_user() for _ in range(10)]
    next_approvers = [make_user() for _ in range(3)]
    workflow = make_workflow({"users": deciders, "rule": "any"}, {"users": next_approvers, "rule": "all"})
    ticket = make_ticket(requester, team=team, status="open")
    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
    before = len(sent.of("approval.requested"))

    calls = [
        lambda user=user: ApiClient(user).post(f"approvals/{approval.pk}/decision", {"decision": "approve"})
        for user in deciders
    ]
    responses = run_concurrently(calls)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [409] * 9, [r.json() for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"step_not_current"}
    assert ApprovalDecision.objects.filter(step__request=approval).count() == 1
    approval.refresh_from_db()
    assert approval.current_step == 2
    assert list(RequestStep.objects.filter(request=approval).order_by("order").values_list("state", flat=True)) == [
        "approved",
        "pending",
    ]
    # One approval.requested for the opened step, reaching each next-step approver once.
    opened = sent.of("approval.requested")[before:]
    assert len(opened) == 1
    assert sorted(opened[0]["topics"]) == sorted(f"user:{user.pk}" for user in next_approvers)
    assert TicketEvent.objects.filter(ticket=ticket, kind="approval_decided").count() == 1


def test_same_approver_posting_twice_at_once_gets_one_200_and_one_409(agent, requester, team):
    approvers = [make_user(), make_user()]
    workflow = make_workflow({"users": approvers, "rule": "all"})
    ticket = make_ticket(requester, team=team)
    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)

    call = lambda: ApiClient(approvers[0]).post(f"approvals/{approval.pk}/decision", {"decision": "approve"})  # noqa: E731
    responses = run_concurrently([call, call])

    assert sorted(r.status_code for r in responses) == [200, 409]
    assert [r.json()["code"] for r in responses if r.status_code == 409] == ["already_decided"]
    assert ApprovalDecision.objects.filter(step__request=approval, approver=approvers[0]).count() == 1


def test_last_two_approvals_of_an_all_step_finish_the_request_once(agent, requester, team, sent):
    approvers = [make_user() for _ in range(4)]
    workflow = make_workflow({"users": approvers, "rule": "all"})
    ticket = make_ticket(requester, team=team)
    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
    for user in approvers[:2]:
        services.approval_decide(actor=user, approval_id=approval.pk, decision="approve")

    results = run_concurrently(
        [
            lambda user=user: services.approval_decide(actor=user, approval_id=approval.pk, decision="approve")
            for user in approvers[2:]
        ]
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    approval.refresh_from_db()
    assert approval.state == "approved"
    assert Ticket.objects.get(pk=ticket.pk).status == "approved"
    assert TicketEvent.objects.filter(ticket=ticket, kind="status_changed", new="approved").count() == 1


def test_approve_and_reject_racing_leave_one_consistent_outcome(agent, requester, team):
    approvers = [make_user(), make_user()]
    workflow = make_workflow({"users": approvers, "rule": "any"})
    ticket = make_ticket(requester, team=team)
    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)

    results = run_concurrently(
        [
            lambda: services.approval_decide(actor=approvers[0], approval_id=approval.pk, decision="approve"),
            lambda: services.approval_decide(
                actor=approvers[1], approval_id=approval.pk, decision="reject", comment="No"
            ),
        ]
    )

    losers = [r for r in results if isinstance(r, Exception)]
    assert len(losers) == 1 and isinstance(losers[0], Conflict) and losers[0].code == "approval_not_pending"
    approval.refresh_from_db()
    assert ApprovalDecision.objects.filter(step__request=approval).count() == 1
    assert Ticket.objects.get(pk=ticket.pk).status == approval.state


def test_concurrent_starts_create_one_request(agent, requester, team):
    workflow = make_workflow({"users": [make_user()]})
    ticket = make_ticket(requester, team=team)
    call = lambda: ApiClient(agent).post(f"tickets/{ticket.pk}/approvals", {"workflow_id": workflow.pk})  # noqa: E731
    responses = run_concurrently([call] * 5)
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409]
    assert ApprovalRequest.objects.filter(ticket=ticket).count() == 1


def test_cancel_racing_a_decision_never_leaves_a_half_state(agent, requester, team):
    approvers = [make_user()]
    workflow = make_workflow({"users": approvers})
    ticket = make_ticket(requester, team=team)
    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)

    results = run_concurrently(
        [
            lambda: services.approval_decide(actor=approvers[0], approval_id=approval.pk, decision="approve"),
            lambda: services.approval_cancel(actor=requester, approval_id=approval.pk),
        ]
    )

    assert len([r for r in results if isinstance(r, Conflict)]) == 1
    approval.refresh_from_db()
    expected_ticket_status = {"approved": "approved", "cancelled": "open"}[approval.state]
    assert Ticket.objects.get(pk=ticket.pk).status == expected_ticket_status
