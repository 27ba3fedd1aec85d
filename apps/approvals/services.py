"""Every write to approval requests: start, decide, cancel.

Race safety: start locks the ticket row; decide and cancel lock the request row
(select_for_update) before reading its steps and decisions, so deciders queue up and each sees
the decisions committed before it. The unique constraint (step, approver) is the backstop for
"one decision per person per step"; the partial unique index on pending requests is the
backstop for "one running request per ticket". Lock order is always request → ticket.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.approvals import events
from apps.approvals.delegations import active_delegations
from apps.approvals.models import (
    ApprovalDecision,
    ApprovalRequest,
    ApprovalWorkflow,
    Decision,
    Delegation,
    RequestState,
    RequestStep,
    Rule,
    StepApprover,
    StepState,
)
from apps.approvals.permissions import (
    access_approval,
    require_may_cancel,
    require_may_start,
    require_not_own_ticket,
    require_pending,
)
from apps.approvals.workflows import applicability_error, resolve_approver_ids
from apps.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from apps.tickets.models import Status, Ticket
from apps.tickets.permissions import access_ticket
from apps.tickets.services import ticket_log, ticket_transition


def _required_approvals(rule: str, quorum: int | None, approver_count: int) -> int:
    if rule == Rule.ANY:
        return 1
    if rule == Rule.QUORUM:
        return quorum or 1
    return approver_count


def _snapshot_steps(workflow: ApprovalWorkflow, ticket: Ticket) -> list[tuple]:
    """(definition, approver ids, required approvals) per step, or 422 if a step could never finish."""
    snapshot = []
    for definition in workflow.steps.all():
        approver_ids = resolve_approver_ids(definition, ticket)
        if not approver_ids:
            raise ValidationFailed(
                {"workflow_id": f"Step “{definition.name}” has no eligible approvers for this ticket."}
            )
        required = _required_approvals(definition.rule, definition.quorum, len(approver_ids))
        if required > len(approver_ids):
            raise ValidationFailed(
                {
                    "workflow_id": f"Step “{definition.name}” needs {required} approvals but has only "
                    f"{len(approver_ids)} eligible approvers for this ticket."
                }
            )
        snapshot.append((definition, approver_ids, required))
    if not snapshot:
        raise ValidationFailed({"workflow_id": "This workflow has no steps."})
    return snapshot


def _open_step(approval: ApprovalRequest, step: RequestStep, ticket: Ticket, actor: User) -> None:
    step.state = StepState.PENDING
    step.opened_at = timezone.now()
    step.save(update_fields=["state", "opened_at"])
    approval.current_step = step.order
    approver_ids = list(step.approvers.values_list("user_id", flat=True))
    events.emit_requested(approval=approval, step=step, ticket=ticket, approver_ids=approver_ids, actor_id=actor.pk)


@transaction.atomic
def approval_start(*, actor: User, ticket_id: int, workflow_id: int) -> ApprovalRequest:
    ticket = access_ticket(actor, ticket_id, for_update=True)
    workflow = ApprovalWorkflow.objects.prefetch_related("steps__approver_users").filter(pk=workflow_id).first()
    if workflow is None:
        raise NotFound("No such approval workflow.")
    require_may_start(actor, ticket, workflow)
    problem = applicability_error(workflow, ticket)
    if problem:
        raise ValidationFailed({"workflow_id": problem})
    running = ApprovalRequest.objects.filter(ticket=ticket, state=RequestState.PENDING).first()
    if running is not None:
        raise Conflict(
            "This ticket already has an approval in progress.",
            code="approval_already_active",
            details={"approval_id": running.pk},
        )
    snapshot = _snapshot_steps(workflow, ticket)

    approval = ApprovalRequest.objects.create(
        ticket=ticket, workflow=workflow, workflow_name=workflow.name, requested_by=actor, steps_total=len(snapshot)
    )
    steps = []
    for order, (definition, approver_ids, required) in enumerate(snapshot, start=1):
        step = RequestStep.objects.create(
            request=approval, order=order, name=definition.name, rule=definition.rule, required_approvals=required
        )
        StepApprover.objects.bulk_create([StepApprover(step=step, user_id=user_id) for user_id in approver_ids])
        steps.append(step)
    # Raises 409 (invalid_transition) for tickets that can't await approval, e.g. closed ones; all rolls back.
    ticket_transition(
        actor=actor,
        ticket_id=ticket.pk,
        status=Status.PENDING_APPROVAL,
        reason=f"Approval requested: {workflow.name}",
        system=True,
    )
    ticket_log(
        ticket=ticket,
        actor=actor,
        kind="approval_requested",
        new={"approval_id": approval.pk, "workflow": workflow.name, "steps": len(steps)},
    )
    _open_step(approval, steps[0], ticket, actor)
    approval.save(update_fields=["current_step"])
    return approval


def _locked(actor: User, approval_id: int) -> tuple[ApprovalRequest, Ticket]:
    approval = access_approval(actor, approval_id, for_update=True)
    return approval, Ticket.objects.get(pk=approval.ticket_id)


def _delegation_refusal(actor: User, delegator_ids: set[int]) -> PermissionDenied | None:
    if Delegation.objects.filter(delegate=actor, delegator_id__in=delegator_ids).exists():
        return PermissionDenied("Your delegation for this approver is not active now.", code="delegation_not_active")
    return None


def _whose_decision(actor: User, approval: ApprovalRequest, step: RequestStep, on_behalf_of: int | None) -> int:
    """The approver whose vote the actor casts: their own, or a delegator's while the delegation is active."""
    approver_ids = set(step.approvers.values_list("user_id", flat=True))
    decided = set(step.decisions.values_list("approver_id", flat=True))
    already = Conflict("This approver has already decided this step.", code="already_decided")
    if on_behalf_of is not None and on_behalf_of != actor.pk:
        if on_behalf_of not in approver_ids:
            raise PermissionDenied("That user is not an approver of the current step.", code="not_an_approver")
        if not active_delegations().filter(delegator_id=on_behalf_of, delegate=actor).exists():
            raise _delegation_refusal(actor, {on_behalf_of}) or PermissionDenied(
                "You are not a delegate of that approver.", code="not_a_delegate"
            )
        if on_behalf_of in decided:
            raise already
        return on_behalf_of
    if actor.pk in approver_ids:
        if actor.pk in decided:
            raise already
        return actor.pk
    if on_behalf_of is None:
        delegators = set(
            active_delegations()
            .filter(delegate=actor, delegator_id__in=approver_ids)
            .values_list("delegator_id", flat=True)
        )
        undecided = sorted(delegators - decided)
        if len(undecided) == 1:
            return undecided[0]
        if len(undecided) > 1:
            raise ValidationFailed({"on_behalf_of": "You stand in for several approvers of this step; say for whom."})
        if delegators:
            raise already
    refusal = _delegation_refusal(actor, approver_ids)
    if refusal:
        raise refusal
    if StepApprover.objects.filter(step__request=approval, user=actor).exists():
        raise Conflict(
            "You are an approver of another step of this request, not of the current one.",
            code="step_not_current",
            details={"current_step": step.order},
        )
    raise PermissionDenied("You are not an approver of this request.", code="not_an_approver")


def _finish(approval: ApprovalRequest, state: str) -> None:
    approval.state = state
    approval.current_step = None
    approval.finished_at = timezone.now()
    approval.steps.filter(state__in=[StepState.WAITING, StepState.PENDING]).update(state=StepState.SKIPPED)


def _close_step(step: RequestStep, state: str) -> None:
    step.state = state
    step.closed_at = timezone.now()
    step.save(update_fields=["state", "closed_at"])


def _record(step: RequestStep, *, approver_id: int, actor: User, decision: str, comment: str) -> ApprovalDecision:
    try:
        with transaction.atomic():
            return ApprovalDecision.objects.create(
                step=step, approver_id=approver_id, decided_by=actor, decision=decision, comment=comment
            )
    except IntegrityError:
        raise Conflict("This approver has already decided this step.", code="already_decided") from None


@transaction.atomic
def approval_decide(
    *,
    actor: User,
    approval_id: int,
    decision: str,
    comment: str = "",
    step_id: int | None = None,
    on_behalf_of: int | None = None,
) -> ApprovalRequest:
    if decision not in Decision.values:
        raise ValidationFailed({"decision": f"Choose one of {', '.join(Decision.values)}."})
    comment = comment.strip()
    if decision == Decision.REJECT and not comment:
        raise ValidationFailed({"comment": "Say why you reject."})
    approval, ticket = _locked(actor, approval_id)
    require_not_own_ticket(actor, ticket)
    require_pending(approval)
    step = approval.steps.get(order=approval.current_step)
    if step_id is not None and step_id != step.pk:
        raise Conflict(
            "That step is not the current one any more.", code="step_not_current", details={"current_step": step.order}
        )
    approver_id = _whose_decision(actor, approval, step, on_behalf_of)
    recorded = _record(step, approver_id=approver_id, actor=actor, decision=decision, comment=comment)

    if decision == Decision.REJECT:
        _close_step(step, StepState.REJECTED)
        _finish(approval, RequestState.REJECTED)
        ticket_transition(
            actor=actor,
            ticket_id=ticket.pk,
            status=Status.REJECTED,
            system=True,
            reason=f"Approval rejected at step {step.order} ({step.name}): {comment}",
        )
    elif step.decisions.filter(decision=Decision.APPROVE).count() >= step.required_approvals:
        _close_step(step, StepState.APPROVED)
        following = approval.steps.filter(order=step.order + 1).first()
        if following is not None:
            _open_step(approval, following, ticket, actor)
        else:
            _finish(approval, RequestState.APPROVED)
            ticket_transition(
                actor=actor,
                ticket_id=ticket.pk,
                status=Status.APPROVED,
                system=True,
                reason=f"Approval granted: {approval.workflow_name}",
            )
    approval.save(update_fields=["state", "current_step", "finished_at"])
    ticket_log(
        ticket=ticket,
        actor=actor,
        kind="approval_decided",
        note=comment,
        new={
            "approval_id": approval.pk,
            "step": step.order,
            "step_name": step.name,
            "decision": decision,
            "approver_id": approver_id,
            "on_behalf_of": recorded.on_behalf_of_id,
            "approval_state": approval.state,
        },
    )
    events.emit_decided(approval=approval, ticket=ticket, decision=recorded)
    return approval


@transaction.atomic
def approval_cancel(*, actor: User, approval_id: int, reason: str = "") -> ApprovalRequest:
    approval, ticket = _locked(actor, approval_id)
    require_may_cancel(actor, approval, ticket)
    require_pending(approval)
    waiting = list(
        StepApprover.objects.filter(step__request=approval, step__order=approval.current_step)
        .exclude(
            user_id__in=ApprovalDecision.objects.filter(
                step__request=approval, step__order=approval.current_step
            ).values("approver_id")
        )
        .values_list("user_id", flat=True)
    )
    _finish(approval, RequestState.CANCELLED)
    approval.cancelled_by = actor
    approval.save(update_fields=["state", "current_step", "finished_at", "cancelled_by"])
    if Ticket.objects.filter(pk=ticket.pk, status=Status.PENDING_APPROVAL).exists():
        ticket_transition(
            actor=actor,
            ticket_id=ticket.pk,
            status=Status.OPEN,
            system=True,
            reason=f"Approval cancelled{': ' + reason if reason else ''}",
        )
    ticket_log(
        ticket=ticket,
        actor=actor,
        kind="approval_cancelled",
        note=reason,
        new={"approval_id": approval.pk, "workflow": approval.workflow_name},
    )
    events.emit_cancelled(approval=approval, ticket=ticket, actor_id=actor.pk, waiting_approver_ids=waiting)
    return approval
