"""Who hears about what: the one place that turns a domain event into notifications.

Derived from the after-commit events the services already emit (apps.core.events), never from a
second call in a service. The rules (API.md "Notifications", issue 12, docs/notifications.md has
them as a table):

| event                    | kind               | who                                                         |
|--------------------------|--------------------|-------------------------------------------------------------|
| ticket.assigned          | assigned           | the new assignee                                            |
| mention                  | mentioned          | the mentioned person (only readers get the event at all)   |
| comment.created (public) | comment_added      | requester, assignee, watchers                               |
| comment.created (note)   | comment_added      | assignee and watchers who are staff                         |
| ticket.transitioned      | status_changed     | requester, assignee, watchers (to approved/rejected: not    |
|                          |                    | the requester or starter, who get approval_decided)         |
| approval.requested       | approval_requested | the step's approvers and their active delegates             |
| approval.decided (final) | approval_decided   | the ticket's requester and whoever started the request      |
| ticket.sla_warning/      | sla_warning/       | the assignee; unassigned: the team's agents (admins when   |
| ticket.sla_breached      | sla_breached       | no team); plus the team lead                                |
| (job, see tasks.py)      | approval_reminder  | approvers who haven't decided, and their active delegates   |

Then, for every event: nobody about their own action (`actor_id`), nobody inactive, and nobody
about what they could not GET right now — visibility is re-checked at derivation time with the
REST rule (tickets.permissions, in its in-memory form over fresh facts), and internal notes are
staff-only, so they never reach a requester by any channel. A person mentioned in a comment hears
of it once, as `mentioned`. Query count does not depend on the number of recipients.
"""

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from apps.accounts.models import Role, User
from apps.approvals.delegations import active_delegations
from apps.approvals.models import ApprovalDecision, ApprovalRequest, RequestState, RequestStep, StepApprover, StepState
from apps.comments.models import Comment, CommentMention
from apps.core.events import DomainEvent
from apps.notifications.kinds import Kind
from apps.tickets.broadcast import ticket_audience
from apps.tickets.models import Status, Ticket
from apps.tickets.permissions import Viewer, audience_allows

# Comments quoted in emails are cut here; the email links to the ticket for the rest.
DETAIL_MAX_CHARS = 2000


@dataclass(frozen=True)
class Planned:
    """A notification to create: the shape services.notifications_deliver takes."""

    recipient_id: int
    kind: str
    ticket_id: int | None
    actor_id: int | None
    message: str
    event_key: str
    detail: str = ""
    staff_only: bool = False


def derive(event: DomainEvent) -> list[Planned]:
    """The notifications an event causes, one per recipient; [] for events nobody is told about."""
    rule = RULES.get(event.name)
    return rule(event) if rule else []


# --- the rules, one per event --------------------------------------------------------------------


def _assigned(event: DomainEvent) -> list[Planned]:
    payload = event.data["ticket"]
    assignee = payload.get("assignee")
    ticket = _ticket(payload["id"])
    if not assignee or ticket is None:
        return []
    actor = _name(event.data.get("actor_id"))
    text = f"{actor} assigned {ref(ticket)} to you" if actor else f"{ref(ticket)} was assigned to you"
    return _to(
        [assignee["id"]],
        ticket,
        event,
        kind=Kind.ASSIGNED,
        message=text,
        key=f"ticket.assigned:{ticket.pk}:{payload['version']}",
    )


def _status_changed(event: DomainEvent) -> list[Planned]:
    payload = event.data["ticket"]
    ticket = _ticket(payload["id"])
    if ticket is None:
        return []
    people = _followers(ticket)
    if payload["status"] in (Status.APPROVED, Status.REJECTED):
        # The approval's outcome reaches these two as approval_decided; once is enough.
        people -= {ticket.requester_id, *_approval_starters(ticket.pk)}
    status = Status(payload["status"]).label.lower()
    actor = _name(event.data.get("actor_id"))
    text = f"{actor} moved {ref(ticket)} to {status}" if actor else f"{ref(ticket)} is now {status}"
    return _to(
        people,
        ticket,
        event,
        kind=Kind.STATUS_CHANGED,
        message=text,
        key=f"ticket.transitioned:{ticket.pk}:{payload['version']}",
    )


def _comment_added(event: DomainEvent) -> list[Planned]:
    comment = _live_comment(event.data["comment"]["id"])
    ticket = _ticket(event.data["ticket_id"])
    if comment is None or ticket is None:
        return []
    mentioned = set(CommentMention.objects.filter(comment_id=comment.pk).values_list("user_id", flat=True))
    people = _followers(ticket) - mentioned
    actor = _name(event.data.get("actor_id"))
    what = "added an internal note to" if comment.internal else "commented on"
    return _to(
        people,
        ticket,
        event,
        kind=Kind.COMMENT_ADDED,
        message=f"{actor or 'Someone'} {what} {ref(ticket)}",
        key=f"comment.created:{comment.pk}",
        detail=comment.body[:DETAIL_MAX_CHARS],
        staff_only=comment.internal,
    )


def _mentioned(event: DomainEvent) -> list[Planned]:
    comment = _live_comment(event.data["comment"]["id"])
    ticket = _ticket(event.data["ticket"]["id"])
    if comment is None or ticket is None:
        return []
    people = [int(topic.split(":", 1)[1]) for topic in event.topics if topic.startswith("user:")]
    actor = _name(event.data.get("actor_id"))
    where = "an internal note on" if comment.internal else ""
    return _to(
        people,
        ticket,
        event,
        kind=Kind.MENTIONED,
        message=f"{actor or 'Someone'} mentioned you in {where or 'a comment on'} {ref(ticket)}",
        key=f"mention:{comment.pk}",
        detail=comment.body[:DETAIL_MAX_CHARS],
        staff_only=comment.internal,
    )


def _approval_requested(event: DomainEvent) -> list[Planned]:
    step = open_step(event.data["step"]["id"])
    if step is None:
        return []
    ticket = _ticket(step.request.ticket_id)
    if ticket is None:
        return []
    approver_ids = list(StepApprover.objects.filter(step=step).values_list("user_id", flat=True))
    actor = _name(event.data.get("actor_id"))
    ask = f"{actor} asks for your approval" if actor else "Your approval is requested"
    return approver_messages(
        ticket,
        step,
        approver_ids,
        event_actor_id=event.data.get("actor_id"),
        kind=Kind.APPROVAL_REQUESTED,
        own_text=f"{ask} on {ref(ticket)} (step “{step.name}”)",
        key=f"approval.requested:{step.pk}",
    )


def _approval_decided(event: DomainEvent) -> list[Planned]:
    summary = event.data["approval"]
    if summary["state"] not in (RequestState.APPROVED, RequestState.REJECTED):
        return []  # a step's decision that did not end the request: the next step's approvers hear of it
    approval = ApprovalRequest.objects.filter(pk=summary["id"]).first()
    ticket = _ticket(summary["ticket_id"])
    if approval is None or ticket is None:
        return []
    actor = _name(event.data.get("actor_id"))
    if summary["state"] == RequestState.APPROVED:
        text = f"The approval of {ref(ticket)} was granted ({approval.workflow_name})"
        detail = ""
    else:
        text = f"{actor or 'An approver'} rejected the approval of {ref(ticket)}"
        reason = (
            ApprovalDecision.objects.filter(step__request=approval, decision="reject").values_list("comment", flat=True)
        ).first()
        detail = reason or ""
    return _to(
        [ticket.requester_id, approval.requested_by_id],
        ticket,
        event,
        kind=Kind.APPROVAL_DECIDED,
        message=text,
        key=f"approval.decided:{approval.pk}",
        detail=detail,
    )


def _sla(kind: str) -> Callable[[DomainEvent], list[Planned]]:
    def rule(event: DomainEvent) -> list[Planned]:
        ticket = _ticket(event.data["ticket"]["id"])
        if ticket is None:
            return []
        clock = "first response" if event.data["clock"] == "first_response" else "resolution"
        due = _short_time(event.data.get("due_at"))
        if kind == Kind.SLA_BREACHED:
            text = f"{ref(ticket)} breached its {clock} SLA (due {due})"
        else:
            text = f"{ref(ticket)}: {clock} due {due}"
        return _to(
            sla_recipients(ticket),
            ticket,
            event,
            kind=kind,
            message=text,
            key=f"{event.name}:{ticket.pk}:{event.data['clock']}:{event.data.get('due_at')}",
            detail=f"SLA policy: {event.data.get('policy') or '—'}",
        )

    return rule


RULES: dict[str, Callable[[DomainEvent], list[Planned]]] = {
    "ticket.assigned": _assigned,
    "ticket.transitioned": _status_changed,
    "comment.created": _comment_added,
    "mention": _mentioned,
    "approval.requested": _approval_requested,
    "approval.decided": _approval_decided,
    "ticket.sla_warning": _sla(Kind.SLA_WARNING),
    "ticket.sla_breached": _sla(Kind.SLA_BREACHED),
}


# --- who, shared by the rules and the reminder job -----------------------------------------------


def approver_messages(
    ticket: Ticket,
    step: RequestStep,
    approver_ids: Iterable[int],
    *,
    event_actor_id: int | None,
    kind: str,
    own_text: str,
    key: str,
) -> list[Planned]:
    """To each approver, and to whoever stands in for one of them right now (delegation), except
    the ticket's requester, who may not decide on their own ticket."""
    approver_ids = set(approver_ids)
    stand_ins = dict(
        active_delegations().filter(delegator_id__in=approver_ids).values_list("delegate_id", "delegator_id")
    )
    names = _names(stand_ins.values())
    planned = _to(approver_ids, ticket, None, kind=kind, message=own_text, key=key, actor_id=event_actor_id)
    for delegate_id, delegator_id in stand_ins.items():
        if delegate_id in approver_ids:
            continue
        text = f"{own_text} — standing in for {names.get(delegator_id, 'an approver')}"
        planned += _to([delegate_id], ticket, None, kind=kind, message=text, key=key, actor_id=event_actor_id)
    return [p for p in planned if p.recipient_id != ticket.requester_id]


def sla_recipients(ticket: Ticket) -> set[int]:
    """The assignee; when unassigned, every agent of the ticket's team (admins when it has no team);
    plus the team lead (contracts: SLA recipients)."""
    lead = {ticket.team.lead_id} if ticket.team_id and ticket.team.lead_id else set()
    if ticket.assignee_id:
        return {ticket.assignee_id} | lead
    if ticket.team_id:
        agents = User.objects.filter(teams=ticket.team_id, role=Role.AGENT).values_list("pk", flat=True)
    else:
        agents = User.objects.filter(role=Role.ADMIN).values_list("pk", flat=True)
    return set(agents) | lead


def _to(
    people: Iterable[int],
    ticket: Ticket,
    event: DomainEvent | None,
    *,
    kind: str,
    message: str,
    key: str,
    detail: str = "",
    staff_only: bool = False,
    actor_id: int | None = None,
) -> list[Planned]:
    """Planned notifications for `people`, less the actor and anyone who may not see it now."""
    if event is not None:
        actor_id = event.data.get("actor_id")
    wanted = {person for person in people if person and person != actor_id}
    return [
        Planned(
            recipient_id=person,
            kind=kind,
            ticket_id=ticket.pk,
            actor_id=actor_id,
            message=message[:500],
            event_key=key,
            detail=detail,
            staff_only=staff_only,
        )
        for person in sorted(may_see(wanted, ticket, staff_only=staff_only))
    ]


def may_see(user_ids: set[int], ticket: Ticket, *, staff_only: bool) -> set[int]:
    """Who of `user_ids` may GET the ticket (and, when `staff_only`, its internal notes) right now.

    The REST rule (tickets.permissions.visible_tickets_q) in its in-memory twin, applied to facts
    read now — the ticket's audience and each person's role, teams and active flag — so the cost is
    a fixed number of queries however many people there are.
    """
    if not user_ids:
        return set()
    audience = asdict(ticket_audience(ticket, staff_only=staff_only))
    roles = dict(User.objects.filter(pk__in=user_ids, is_active=True).values_list("pk", "role"))
    teams: dict[int, set[int]] = {}
    for user_id, team_id in User.teams.through.objects.filter(user_id__in=roles).values_list("user_id", "team_id"):
        teams.setdefault(user_id, set()).add(team_id)
    return {
        user_id
        for user_id, role in roles.items()
        if audience_allows(Viewer(user_id=user_id, role=role, team_ids=frozenset(teams.get(user_id, ()))), audience)
    }


# --- facts read at derivation time --------------------------------------------------------------


def _ticket(ticket_id: int | None) -> Ticket | None:
    if ticket_id is None:
        return None
    return Ticket.objects.select_related("team").filter(pk=ticket_id).first()


def _followers(ticket: Ticket) -> set[int]:
    """Requester, assignee and watchers: the people who follow a ticket's conversation."""
    watchers = Ticket.watchers.through.objects.filter(ticket_id=ticket.pk).values_list("user_id", flat=True)
    return {ticket.requester_id, ticket.assignee_id, *watchers} - {None}


def _approval_starters(ticket_id: int) -> set[int]:
    latest = ApprovalRequest.objects.filter(ticket_id=ticket_id).order_by("-created_at", "-id").first()
    return {latest.requested_by_id} if latest else set()


def _live_comment(comment_id: int) -> Comment | None:
    """The comment unless it was deleted meanwhile (then nobody is told about it)."""
    return Comment.objects.filter(pk=comment_id, deleted_at__isnull=True).first()


def open_step(step_id: int) -> RequestStep | None:
    """The step if it still waits for decisions (the job may run after it was decided or cancelled)."""
    return (
        RequestStep.objects.select_related("request")
        .filter(pk=step_id, state=StepState.PENDING, request__state=RequestState.PENDING)
        .first()
    )


def _name(user_id: int | None) -> str | None:
    if not user_id:
        return None
    return _names([user_id]).get(user_id)


def _names(user_ids: Iterable[int]) -> dict[int, str]:
    return {user.pk: user.display_name for user in User.objects.filter(pk__in=set(user_ids))}


def ticket_of(step: RequestStep) -> Ticket:
    return Ticket.objects.select_related("team").get(pk=step.request.ticket_id)


def ref(ticket: Ticket) -> str:
    return f"{ticket.key} “{ticket.title}”"


def _short_time(iso: str | None) -> str:
    """ "2026-12-01 14:30 UTC": a message is plain text, read in any time zone."""
    try:
        moment = datetime.fromisoformat(iso or "")
    except ValueError:
        return iso or "now"
    if moment.tzinfo is None:
        return iso
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
