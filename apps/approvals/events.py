"""How approvals are announced. Payloads hold only what every recipient may GET (the ticket's
approval summary), with the ticket's audience so the websocket layer filters per recipient."""

from apps.approvals.delegations import active_delegations
from apps.approvals.models import ApprovalDecision, ApprovalRequest, RequestStep
from apps.approvals.presenters import approval_summary
from apps.core.events import broadcast_on_commit
from apps.tickets.broadcast import ticket_audience
from apps.tickets.models import Ticket


def with_current_delegates(user_ids: list[int]) -> list[int]:
    """The users plus whoever stands in for them right now."""
    delegates = active_delegations().filter(delegator_id__in=user_ids).values_list("delegate_id", flat=True)
    return sorted({*user_ids, *delegates})


def _user_topics(user_ids) -> list[str]:
    return [f"user:{user_id}" for user_id in user_ids if user_id]


def emit_requested(
    *, approval: ApprovalRequest, step: RequestStep, ticket: Ticket, approver_ids: list[int], actor_id: int
) -> None:
    """To each approver of a step that just opened, and to their current delegates. The actor
    started the request (first step) or cast the decision that opened this step."""
    data = {
        "approval": approval_summary(approval),
        "step": {"id": step.pk, "order": step.order, "name": step.name},
        "ticket": {"id": ticket.pk, "number": ticket.key, "title": ticket.title},
        "actor_id": actor_id,
    }
    broadcast_on_commit(
        "approval.requested",
        data,
        topics=_user_topics(with_current_delegates(approver_ids)),
        audience=ticket_audience(ticket),
    )


def emit_decided(*, approval: ApprovalRequest, ticket: Ticket, decision: ApprovalDecision) -> None:
    data = {
        "approval": approval_summary(approval),
        "decision": {
            "step": decision.step.order,
            "decision": decision.decision,
            "approver_id": decision.approver_id,
            "decided_by_id": decision.decided_by_id,
            "on_behalf_of_id": decision.on_behalf_of_id,
        },
        "actor_id": decision.decided_by_id,
    }
    topics = [f"ticket:{ticket.pk}", *_user_topics([ticket.requester_id, approval.requested_by_id])]
    broadcast_on_commit("approval.decided", data, topics=topics, audience=ticket_audience(ticket))


def emit_cancelled(
    *, approval: ApprovalRequest, ticket: Ticket, actor_id: int, waiting_approver_ids: list[int]
) -> None:
    """Also to the approvers who were still asked, so their inboxes drop it."""
    data = {"approval": approval_summary(approval), "actor_id": actor_id}
    people = [ticket.requester_id, approval.requested_by_id, *with_current_delegates(waiting_approver_ids)]
    broadcast_on_commit(
        "approval.cancelled",
        data,
        topics=[f"ticket:{ticket.pk}", *_user_topics(people)],
        audience=ticket_audience(ticket),
    )
