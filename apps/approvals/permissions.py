"""Who may see and act on approval requests. A request is visible exactly when its ticket is
(tickets.permissions: requester, watchers, approvers and their delegates, team agents, admins);
one the caller may not see is a 404, like a missing one."""

from django.db.models import QuerySet

from apps.accounts.models import Role, User
from apps.approvals.models import ApprovalRequest, ApprovalWorkflow, RequestState
from apps.core.errors import Conflict, NotFound, PermissionDenied
from apps.tickets.models import Ticket
from apps.tickets.permissions import is_staff_for, visible_tickets_q


def visible_approvals(user: User) -> QuerySet[ApprovalRequest]:
    if user.role == Role.ADMIN:
        return ApprovalRequest.objects.all()
    return ApprovalRequest.objects.filter(ticket__in=Ticket.objects.filter(visible_tickets_q(user)).values("pk"))


def access_approval(user: User, approval_id: int, *, for_update: bool = False) -> ApprovalRequest:
    """The request if the user may see it, else NotFound. `for_update` locks its row (call in a transaction)."""
    requests = ApprovalRequest.objects.select_for_update() if for_update else ApprovalRequest.objects.all()
    # Lock by primary key alone, then check visibility: FOR UPDATE refuses the visibility subqueries.
    approval = requests.filter(pk=approval_id).first()
    if approval is None or not Ticket.objects.filter(visible_tickets_q(user), pk=approval.ticket_id).exists():
        raise NotFound("No such approval request.")
    return approval


def may_start(actor: User, ticket: Ticket, workflow: ApprovalWorkflow, *, staff: bool | None = None) -> bool:
    """`staff` (is_staff_for, when the caller already knows it) spares a query per workflow."""
    staff = is_staff_for(actor, ticket) if staff is None else staff
    return staff or (actor.pk == ticket.requester_id and workflow.allow_self_service)


def require_may_start(actor: User, ticket: Ticket, workflow: ApprovalWorkflow) -> None:
    if is_staff_for(actor, ticket):
        return
    if actor.pk != ticket.requester_id:
        raise PermissionDenied(
            "Only the ticket's agents, admins or its requester can request an approval.",
            code="approval_start_forbidden",
        )
    if not workflow.allow_self_service:
        raise PermissionDenied(
            "This workflow can only be started by an agent or admin.", code="self_service_not_allowed"
        )


def may_cancel(actor_id: int, approval: ApprovalRequest, ticket: Ticket, *, staff: bool) -> bool:
    """The ticket's requester, whoever requested the approval, and the ticket's staff (`staff`:
    tickets.permissions.is_staff_for / staff_on) may cancel it. No queries."""
    return actor_id in (ticket.requester_id, approval.requested_by_id) or staff


def require_may_cancel(actor: User, approval: ApprovalRequest, ticket: Ticket) -> None:
    if not may_cancel(actor.pk, approval, ticket, staff=is_staff_for(actor, ticket)):
        raise PermissionDenied(
            "Only the requester, the ticket's agents or admins can cancel an approval.", code="cancel_forbidden"
        )


def require_pending(approval: ApprovalRequest) -> None:
    """Decisions and cancelling need a pending request (Conflict `approval_not_pending`)."""
    if approval.state != RequestState.PENDING:
        raise Conflict(
            f"This approval is already {approval.state}.",
            code="approval_not_pending",
            details={"state": approval.state},
        )


def decidable_for(
    *, actor_id: int, requester_id: int, approver_ids: list[int], decided_ids: set[int], stands_in_for: set[int]
) -> list[int]:
    """Approvers of the current step whose vote the actor may cast now: themselves and the approvers
    who delegated to them (`stands_in_for`: selectors.stand_in_for), who have not decided yet; none
    on a ticket the actor requested (require_not_own_ticket). No queries."""
    if actor_id == requester_id:
        return []
    return [approver for approver in approver_ids if approver in stands_in_for and approver not in decided_ids]


def require_not_own_ticket(actor: User, ticket: Ticket) -> None:
    """Segregation of duties: nobody decides on an approval of a ticket they requested."""
    if actor.pk == ticket.requester_id:
        raise PermissionDenied("You can't decide on an approval of your own ticket.", code="self_approval_forbidden")
