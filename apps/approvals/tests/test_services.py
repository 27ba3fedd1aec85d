"""Approval flows through the services: steps, rules, ticket statuses, activity rows, events."""

from datetime import timedelta

import pytest

from apps.accounts.models import Role
from apps.approvals import services
from apps.approvals.models import ApprovalDecision, ApprovalRequest, StepApprover, WorkflowStep
from apps.approvals.tests.factories import make_delegation, make_workflow
from apps.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from apps.core.testing.factories import make_team, make_user
from apps.tickets.models import Ticket, TicketEvent
from apps.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db(transaction=True)


def status_of(ticket) -> str:
    return Ticket.objects.get(pk=ticket.pk).status


def decide(user, approval, decision="approve", comment="", **kwargs):
    return services.approval_decide(actor=user, approval_id=approval.pk, decision=decision, comment=comment, **kwargs)


def step_states(approval) -> list[str]:
    return list(approval.steps.order_by("order").values_list("state", flat=True))


def test_two_step_all_then_any_is_approved_end_to_end(agent, requester, team, approvers, sent):
    first, second, third = approvers
    workflow = make_workflow({"users": [first, second], "rule": "all"}, {"users": [third, agent], "rule": "any"})
    ticket = make_ticket(requester, team=team, status="open")

    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
    assert status_of(ticket) == "pending_approval"
    assert (approval.current_step, step_states(approval)) == (1, ["pending", "waiting"])
    assert sorted(t for e in sent.of("approval.requested") for t in e["topics"]) == [
        f"user:{first.pk}",
        f"user:{second.pk}",
    ]

    decide(first, approval)
    approval.refresh_from_db()
    assert (approval.current_step, step_states(approval)) == (1, ["pending", "waiting"])

    decide(second, approval)
    approval.refresh_from_db()
    assert (approval.current_step, step_states(approval)) == (2, ["approved", "pending"])
    step_two_topics = sorted(sent.of("approval.requested")[-1]["topics"])
    assert step_two_topics == sorted([f"user:{third.pk}", f"user:{agent.pk}"])
    assert status_of(ticket) == "pending_approval"

    decide(third, approval, comment="Fine by me")
    approval.refresh_from_db()
    assert (approval.state, approval.current_step, step_states(approval)) == (
        "approved",
        None,
        ["approved", "approved"],
    )
    assert approval.finished_at is not None
    assert status_of(ticket) == "approved"

    log = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", "old", "new"))
    assert [kind for kind, _, _ in log] == [
        "status_changed",
        "approval_requested",
        "approval_decided",
        "approval_decided",
        "status_changed",
        "approval_decided",
    ]
    assert log[0][1:] == ("open", "pending_approval") and log[4][1:] == ("pending_approval", "approved")
    decided = sent.of("approval.decided")
    assert len(decided) == 3
    assert set(decided[-1]["topics"]) == {f"ticket:{ticket.pk}", f"user:{requester.pk}", f"user:{agent.pk}"}
    assert decided[-1]["data"]["approval"]["state"] == "approved"


def test_reject_at_step_one_ends_the_request(agent, requester, team, approvers, sent):
    workflow = make_workflow({"users": approvers[:2], "rule": "all"}, {"users": [approvers[2]]})
    ticket = make_ticket(requester, team=team)
    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)

    decide(approvers[0], approval, "reject", comment="Too expensive")
    approval.refresh_from_db()
    assert (approval.state, approval.current_step, step_states(approval)) == ("rejected", None, ["rejected", "skipped"])
    assert status_of(ticket) == "rejected"
    entry = TicketEvent.objects.get(ticket=ticket, kind="approval_decided")
    assert entry.note == "Too expensive" and entry.new["decision"] == "reject"
    # Step 2 never opened, so its approver was never asked.
    assert all(f"user:{approvers[2].pk}" not in e["topics"] for e in sent.of("approval.requested"))

    with pytest.raises(Conflict) as late:
        decide(approvers[1], approval)
    assert late.value.code == "approval_not_pending"


def test_quorum_two_of_three(agent, requester, team, approvers):
    workflow = make_workflow({"users": approvers, "rule": "quorum", "quorum": 2})
    ticket = make_ticket(requester, team=team)
    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
    decide(approvers[0], approval)
    assert status_of(ticket) == "pending_approval"
    decide(approvers[2], approval)
    approval.refresh_from_db()
    assert approval.state == "approved" and status_of(ticket) == "approved"
    with pytest.raises(Conflict):
        decide(approvers[1], approval)


def test_cancel_returns_the_ticket_to_open(agent, requester, team, approvers, sent):
    workflow = make_workflow({"users": approvers[:1]}, {"users": approvers[1:]})
    ticket = make_ticket(requester, team=team, status="new")
    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)

    services.approval_cancel(actor=requester, approval_id=approval.pk, reason="Not needed any more")
    approval.refresh_from_db()
    assert (approval.state, approval.cancelled_by_id, step_states(approval)) == (
        "cancelled",
        requester.pk,
        ["skipped", "skipped"],
    )
    assert status_of(ticket) == "open"
    assert TicketEvent.objects.filter(ticket=ticket, kind="approval_cancelled").count() == 1
    [cancelled] = sent.of("approval.cancelled")
    assert f"user:{approvers[0].pk}" in cancelled["topics"]

    with pytest.raises(Conflict) as again:
        services.approval_cancel(actor=agent, approval_id=approval.pk)
    assert again.value.code == "approval_not_pending"
    # A new request can start once the old one is over.
    services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
    assert status_of(ticket) == "pending_approval"


def test_only_requester_starter_or_staff_cancel(agent, requester, team, approvers):
    workflow = make_workflow({"users": approvers})
    ticket = make_ticket(requester, team=team)
    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
    with pytest.raises(PermissionDenied) as refused:
        services.approval_cancel(actor=approvers[0], approval_id=approval.pk)
    assert refused.value.code == "cancel_forbidden"


def test_editing_the_workflow_mid_request_changes_nothing(agent, requester, team, approvers):
    workflow = make_workflow({"users": approvers[:2], "rule": "all"}, name="Original")
    ticket = make_ticket(requester, team=team)
    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)

    step = WorkflowStep.objects.get(workflow=workflow)
    step.approver_users.set([approvers[2]])
    step.rule = "any"
    step.save()
    WorkflowStep.objects.create(workflow=workflow, order=2, name="Extra", approver_kind="users")
    workflow.name = "Renamed"
    workflow.active = False
    workflow.save()

    # The newly named approver is not part of the running request: they don't even see the ticket.
    with pytest.raises(NotFound):
        decide(approvers[2], approval)
    decide(approvers[0], approval)
    assert status_of(ticket) == "pending_approval"  # still "all" of the original two
    decide(approvers[1], approval)
    approval.refresh_from_db()
    assert (approval.state, approval.steps_total, approval.workflow_name) == ("approved", 1, "Original")
    assert status_of(ticket) == "approved"


def test_team_and_team_lead_and_role_resolve_when_the_request_starts(agent, requester, admin_user):
    lead = make_user(Role.AGENT)
    finance = make_team("Finance", members=[make_user(), make_user(), requester])
    desk = make_team("Desk", members=[agent], lead=lead)
    workflow = make_workflow({"team": finance, "rule": "any"}, {"team_lead": True}, {"role": "admin", "rule": "any"})
    ticket = make_ticket(requester, team=desk)
    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)

    slots = {
        order: set(
            StepApprover.objects.filter(step__request=approval, step__order=order).values_list("user_id", flat=True)
        )
        for order in (1, 2, 3)
    }
    # The requester is a Finance member but never approves their own ticket.
    assert slots[1] == set(finance.members.exclude(pk=requester.pk).values_list("pk", flat=True))
    assert slots[2] == {lead.pk}
    assert slots[3] == {admin_user.pk}
    # A later team change does not touch the snapshot.
    finance.members.add(make_user())
    assert (
        set(StepApprover.objects.filter(step__request=approval, step__order=1).values_list("user_id", flat=True))
        == slots[1]
    )


def test_start_refusals(agent, requester, team, approvers):
    ticket = make_ticket(requester, team=team)
    no_lead = make_workflow({"team_lead": True})
    with pytest.raises(ValidationFailed) as empty:
        services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=no_lead.pk)
    assert "no eligible approvers" in empty.value.details["fields"]["workflow_id"][0]

    only_requester = make_workflow({"users": [requester]})
    with pytest.raises(ValidationFailed):
        services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=only_requester.pk)

    changes_only = make_workflow({"users": approvers}, match_type="change")
    with pytest.raises(ValidationFailed) as mismatch:
        services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=changes_only.pk)
    assert "change tickets only" in mismatch.value.details["fields"]["workflow_id"][0]

    workflow = make_workflow({"users": approvers})
    with pytest.raises(PermissionDenied) as self_service:
        services.approval_start(actor=requester, ticket_id=ticket.pk, workflow_id=workflow.pk)
    assert self_service.value.code == "self_service_not_allowed"

    services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
    with pytest.raises(Conflict) as twice:
        services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
    assert twice.value.code == "approval_already_active"
    assert ApprovalRequest.objects.filter(ticket=ticket).count() == 1


def test_closed_ticket_cannot_await_approval_and_nothing_is_left_behind(agent, requester, team, approvers):
    ticket = make_ticket(requester, team=team, status="closed")
    workflow = make_workflow({"users": approvers})
    with pytest.raises(Conflict) as refused:
        services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
    assert refused.value.code == "invalid_transition"
    assert not ApprovalRequest.objects.exists()


def test_self_service_lets_the_requester_start(requester, team, approvers):
    workflow = make_workflow({"users": approvers}, allow_self_service=True)
    ticket = make_ticket(requester, team=team)
    approval = services.approval_start(actor=requester, ticket_id=ticket.pk, workflow_id=workflow.pk)
    assert approval.requested_by_id == requester.pk


def test_requester_can_never_decide_on_their_own_ticket(agent, requester, team, approvers):
    workflow = make_workflow({"users": approvers})
    ticket = make_ticket(requester, team=team)
    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
    with pytest.raises(PermissionDenied) as own:
        decide(requester, approval)
    assert own.value.code == "self_approval_forbidden"
    # Not even as someone's delegate.
    make_delegation(approvers[0], requester)
    with pytest.raises(PermissionDenied):
        decide(requester, approval, on_behalf_of=approvers[0].pk)


def test_delegate_decides_on_behalf_within_the_window_only(agent, requester, team, approvers, sent):
    workflow = make_workflow({"users": approvers[:2], "rule": "all"})
    ticket = make_ticket(requester, team=team)
    stand_in = make_user(Role.AGENT, teams=[team])
    make_delegation(approvers[0], stand_in)
    make_delegation(approvers[1], stand_in, starts_in=-timedelta(days=3), lasts=timedelta(days=1))
    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
    # The step-open announcement reaches the active delegate too.
    assert f"user:{stand_in.pk}" in sent.of("approval.requested")[0]["topics"]

    decide(stand_in, approval, comment="On leave cover")
    recorded = ApprovalDecision.objects.get()
    assert (recorded.approver_id, recorded.decided_by_id, recorded.on_behalf_of_id) == (
        approvers[0].pk,
        stand_in.pk,
        approvers[0].pk,
    )
    assert TicketEvent.objects.get(kind="approval_decided").new["on_behalf_of"] == approvers[0].pk

    with pytest.raises(PermissionDenied) as expired:
        decide(stand_in, approval, on_behalf_of=approvers[1].pk)
    assert expired.value.code == "delegation_not_active"
    # The delegator's own slot is used up: deciding again is a conflict, for them and the delegate.
    with pytest.raises(Conflict) as twice:
        decide(approvers[0], approval)
    assert twice.value.code == "already_decided"


def test_non_approver_and_not_current_step(agent, requester, team, approvers):
    workflow = make_workflow({"users": approvers[:1]}, {"users": approvers[1:2]})
    ticket = make_ticket(requester, team=team)
    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
    with pytest.raises(PermissionDenied) as stranger:
        decide(agent, approval)
    assert stranger.value.code == "not_an_approver"
    with pytest.raises(Conflict) as early:
        decide(approvers[1], approval)
    assert early.value.code == "step_not_current"
    first_step = approval.steps.get(order=1)
    decide(approvers[0], approval, step_id=first_step.pk)
    with pytest.raises(Conflict) as stale:
        decide(approvers[1], approval, step_id=first_step.pk)
    assert stale.value.code == "step_not_current"


def test_bad_decisions_are_validation_errors(agent, requester, team, approvers):
    workflow = make_workflow({"users": approvers})
    ticket = make_ticket(requester, team=team)
    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
    with pytest.raises(ValidationFailed) as unknown:
        decide(approvers[0], approval, "maybe")
    assert "decision" in unknown.value.details["fields"]
    with pytest.raises(ValidationFailed) as blank:
        decide(approvers[0], approval, "reject", comment="   ")
    assert "comment" in blank.value.details["fields"]
    assert not ApprovalDecision.objects.exists()
