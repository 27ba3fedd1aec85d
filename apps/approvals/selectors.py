"""Reads of approvals. The first three feed the tickets app (visibility, websocket audiences, detail)."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from apps.accounts.models import User
from apps.approvals.delegations import active_delegations, delegator_ids_of
from apps.approvals.models import ApprovalDecision, ApprovalRequest, RequestState, RequestStep, StepApprover
from apps.approvals.permissions import visible_approvals
from apps.approvals.presenters import approval_summary
from apps.core.errors import NotFound
from apps.core.pagination import Keyset, keyset_page

NEWEST_FIRST = Keyset(fields=("id",), descending=True)


def approver_ticket_ids(user) -> QuerySet:
    """Ids of tickets on which `user` is an approver, or the delegate of one, on an approval request.

    A subquery (never a list): it is used inside Q(pk__in=...) for ticket visibility. Approvers keep
    seeing tickets they were asked about; a delegate sees the delegator's tickets while the window is
    open and the request pending, and keeps seeing those they decided on.
    """
    slots = StepApprover.objects.filter(
        Q(user_id=user.pk) | Q(user_id__in=delegator_ids_of(user), step__request__state=RequestState.PENDING)
    ).values("step__request__ticket_id")
    decided = ApprovalDecision.objects.filter(decided_by_id=user.pk).values("step__request__ticket_id")
    # A UNION of the two link tables, not a query over tickets: this sits inside the visibility
    # filter of every ticket list, where a scan of the tickets table would cost ~25 ms at 100k.
    return slots.order_by().union(decided.order_by())


def approver_user_ids(ticket_id: int) -> set[int]:
    """Approvers (and their current delegates) of the ticket's approval requests."""
    slots = StepApprover.objects.filter(step__request__ticket_id=ticket_id)
    approvers = set(slots.values_list("user_id", flat=True))
    deciders = ApprovalDecision.objects.filter(step__request__ticket_id=ticket_id).values_list(
        "decided_by_id", flat=True
    )
    pending_approvers = slots.filter(step__request__state=RequestState.PENDING).values("user_id")
    delegates = active_delegations().filter(delegator_id__in=pending_approvers).values_list("delegate_id", flat=True)
    return approvers | set(deciders) | set(delegates)


def latest_approval_summary(ticket_id: int) -> dict | None:
    """The summary (presenters.approval_summary) of the ticket's latest approval request, or None."""
    latest = ApprovalRequest.objects.filter(ticket_id=ticket_id).order_by("-created_at", "-id").first()
    return approval_summary(latest) if latest is not None else None


def _with_everything(requests: QuerySet[ApprovalRequest]) -> QuerySet[ApprovalRequest]:
    """Everything an approval's JSON needs, in a fixed number of queries whatever the page size."""
    steps = RequestStep.objects.order_by("order").prefetch_related(
        Prefetch("approvers", queryset=StepApprover.objects.select_related("user")),
        Prefetch("decisions", queryset=ApprovalDecision.objects.select_related("decided_by")),
    )
    return requests.select_related("ticket", "workflow", "requested_by").prefetch_related(
        Prefetch("steps", queryset=steps)
    )


def awaiting_decision_of(user: User) -> QuerySet[ApprovalRequest]:
    """Pending requests whose current step still waits for the user, or for someone they stand in for."""
    open_slots = StepApprover.objects.filter(
        Q(user_id=user.pk) | Q(user_id__in=delegator_ids_of(user)),
        step__request=OuterRef("pk"),
        step__order=OuterRef("current_step"),
    ).exclude(Exists(ApprovalDecision.objects.filter(step=OuterRef("step"), approver=OuterRef("user"))))
    return (
        ApprovalRequest.objects.filter(state=RequestState.PENDING)
        .exclude(ticket__requester_id=user.pk)
        .filter(Exists(open_slots))
    )


def _involving(user: User) -> QuerySet[ApprovalRequest]:
    as_approver = StepApprover.objects.filter(user_id=user.pk).values("step__request_id")
    as_decider = ApprovalDecision.objects.filter(decided_by_id=user.pk).values("step__request_id")
    return ApprovalRequest.objects.filter(Q(pk__in=as_approver) | Q(pk__in=as_decider))


def approval_list(
    *, user: User, state: str | None, mine: bool, cursor: str | None, limit: int
) -> tuple[list[ApprovalRequest], str | None]:
    """A page, newest first, and the next page's cursor. `mine` with state=pending is the inbox:
    what waits for my decision now (including as a delegate); `mine` with another or no state:
    requests I was an approver on or decided. Without `mine`: every request on tickets I can see."""
    if mine and state == RequestState.PENDING:
        requests = awaiting_decision_of(user)
    elif mine:
        requests = _involving(user)
    else:
        requests = visible_approvals(user)
    if state:
        requests = requests.filter(state=state)
    return keyset_page(_with_everything(requests), NEWEST_FIRST, scope="approvals", cursor=cursor, limit=limit)


def approval_detail(*, user: User, approval_id: int) -> ApprovalRequest:
    approval = _with_everything(visible_approvals(user)).filter(pk=approval_id).first()
    if approval is None:
        raise NotFound("No such approval request.")
    return approval


def stand_in_for(user: User) -> set[int]:
    """Ids of the users the given user may decide for right now: themselves and their delegators."""
    return {user.pk, *delegator_ids_of(user).values_list("delegator_id", flat=True)}
