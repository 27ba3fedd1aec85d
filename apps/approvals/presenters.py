"""JSON of approvals, built from prefetched rows only (see selectors._with_everything): no queries here."""

from apps.accounts.models import User
from apps.approvals.models import ApprovalRequest, RequestState, RequestStep
from apps.approvals.permissions import decidable_for, may_cancel
from apps.tickets.permissions import Viewer, staff_on


def _user(user: User | None) -> dict | None:
    if user is None:
        return None
    return {
        "id": user.pk,
        "email": user.email,
        "display_name": user.display_name,
        "username": user.username,
        "role": user.role,
    }


def present_step(step: RequestStep) -> dict:
    decisions = {decision.approver_id: decision for decision in step.decisions.all()}
    entries = []
    for slot in step.approvers.all():
        decision = decisions.get(slot.user_id)
        delegated = decision is not None and decision.decided_by_id != slot.user_id
        entries.append(
            {
                "approver": _user(slot.user),
                "decision": decision.decision if decision else None,
                "comment": decision.comment if decision else "",
                "decided_at": decision.created_at if decision else None,
                "decided_by": _user(decision.decided_by) if decision else None,
                "on_behalf_of": _user(slot.user) if delegated else None,
            }
        )
    approvals = sum(1 for entry in entries if entry["decision"] == "approve")
    return {
        "id": step.pk,
        "order": step.order,
        "name": step.name,
        "rule": step.rule,
        "required_approvals": step.required_approvals,
        "approvals": approvals,
        "state": step.state,
        "opened_at": step.opened_at,
        "closed_at": step.closed_at,
        "decisions": entries,
    }


def present_approval(approval: ApprovalRequest, *, viewer: Viewer, stands_in_for: set[int], with_steps: bool) -> dict:
    """`viewer`: the caller (tickets.permissions.Viewer); `stands_in_for`: the viewer and their current
    delegators (selectors.stand_in_for). `permissions` come from the rules the services enforce."""
    steps = list(approval.steps.all())
    current = next((step for step in steps if step.order == approval.current_step), None)
    awaiting_me: list[dict] = []
    pending = approval.state == RequestState.PENDING
    if current is not None and pending:
        slots = {slot.user_id: slot for slot in current.approvers.all()}
        decidable = decidable_for(
            actor_id=viewer.user_id,
            requester_id=approval.ticket.requester_id,
            approver_ids=list(slots),
            decided_ids={decision.approver_id for decision in current.decisions.all()},
            stands_in_for=stands_in_for,
        )
        awaiting_me = [_user(slots[approver_id].user) for approver_id in decidable]
    staff = staff_on(viewer, approval.ticket.team_id)
    body = {
        "id": approval.pk,
        "state": approval.state,
        "ticket": {
            "id": approval.ticket.pk,
            "number": approval.ticket.key,
            "title": approval.ticket.title,
            "status": approval.ticket.status,
        },
        "workflow": {"id": approval.workflow_id, "name": approval.workflow_name},
        "requested_by": _user(approval.requested_by),
        "current_step": present_step(current) if current else None,
        "steps_total": approval.steps_total,
        "awaiting_decision_for": awaiting_me,
        "permissions": {
            "decide": bool(awaiting_me),
            "cancel": pending and may_cancel(viewer.user_id, approval, approval.ticket, staff=staff),
        },
        "created_at": approval.created_at,
        "finished_at": approval.finished_at,
    }
    if with_steps:
        body["steps"] = [present_step(step) for step in steps]
    return body
