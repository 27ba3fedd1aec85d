"""A hand-built desk with known answers for every dashboard figure (see test_dashboard.py).

The period is 2026-03-28..2026-03-30 in Europe/Berlin, across the switch to summer time (the 29th
has 23 hours): Berlin days start at 2026-03-27 23:00, 03-28 23:00 and 03-29 22:00 UTC. Times below
are UTC. Team A's agent sees team A, the triage queue and what they raised; team B is another team.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from unittest import mock

from apps.accounts.models import Role, Team, User
from apps.approvals.models import ApprovalRequest, RequestState
from apps.comments.models import Comment
from apps.core.testing.factories import make_team, make_user
from apps.sla import services as sla_services
from apps.sla.calendars import HOURS_24_7, HOURS_OFFICE
from apps.sla.sync import sla_sync_ticket
from apps.tickets.models import Tag, Ticket, TicketEvent
from apps.tickets.tests.factories import make_ticket

NOW = datetime(2026, 3, 31, 8, 0, tzinfo=UTC)
PERIOD = {"from": "2026-03-28", "to": "2026-03-30", "tz": "Europe/Berlin"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Desk:
    team_a: Team
    team_b: Team
    agent_a: User
    agent_b: User
    admin: User
    requester: User
    tickets: dict[str, Ticket] = field(default_factory=dict)


def _ticket(desk: Desk, name: str, *, created: str, team: Team | None, tags=(), **fields) -> Ticket:
    fields.setdefault("requester", desk.requester)
    requester = fields.pop("requester")
    ticket = make_ticket(requester, team=team, title=name, **fields)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=at(created))
    for tag in tags:
        ticket.tags.add(Tag.objects.get_or_create(name=tag)[0])
    ticket.refresh_from_db()
    desk.tickets[name] = ticket
    return ticket


def _comment(ticket: Ticket, author: User, when: str, *, internal: bool = False) -> None:
    comment = Comment.objects.create(ticket=ticket, author=author, body="reply", internal=internal)
    Comment.objects.filter(pk=comment.pk).update(created_at=at(when))


def _move(ticket: Ticket, actor: User, old: str, new: str, when: str) -> None:
    event = TicketEvent.objects.create(ticket=ticket, actor=actor, kind="status_changed", old=old, new=new)
    TicketEvent.objects.filter(pk=event.pk).update(created_at=at(when))


def _approval(ticket: Ticket, by: User, workflow: str, state: str, created: str, finished: str | None = None) -> None:
    request = ApprovalRequest.objects.create(
        ticket=ticket, workflow_name=workflow, requested_by=by, state=state, steps_total=1
    )
    ApprovalRequest.objects.filter(pk=request.pk).update(
        created_at=at(created), finished_at=at(finished) if finished else None
    )


def build_desk() -> Desk:
    team_a, team_b = make_team("Team A"), make_team("Team B")
    desk = Desk(
        team_a=team_a,
        team_b=team_b,
        agent_a=make_user(Role.AGENT, teams=[team_a], name="Agent A"),
        agent_b=make_user(Role.AGENT, teams=[team_b], name="Agent B"),
        admin=make_user(Role.ADMIN, name="Admin"),
        requester=make_user(Role.REQUESTER, name="Requester"),
    )
    a, admin, requester = desk.agent_a, desk.admin, desk.requester

    # T1: 00:30 in Berlin on the 28th (still the 27th in UTC). Answered in 10 min, resolved at 10:00.
    t1 = _ticket(
        desk, "T1", created="2026-03-27 23:30", team=team_a, status="resolved", tags=["vpn", "printer"],
        resolved_at=at("2026-03-28 10:00"),
    )  # fmt: skip
    _comment(t1, a, "2026-03-27 23:40")
    _move(t1, a, "open", "resolved", "2026-03-28 10:00")
    _approval(t1, a, "Manager approval", RequestState.CANCELLED, "2026-03-28 01:00", "2026-03-28 02:00")

    # T2: 23:59 in Berlin on the 28th. An internal note after 1 min doesn't count; the public reply after 90 does.
    t2 = _ticket(
        desk, "T2", created="2026-03-28 22:59", team=team_a, status="open", priority="high", assignee=a, tags=["vpn"]
    )
    _comment(t2, a, "2026-03-28 23:00", internal=True)
    _comment(t2, a, "2026-03-29 00:29")
    _approval(t2, a, "Manager approval", RequestState.APPROVED, "2026-03-29 08:00", "2026-03-29 10:00")

    # T3: exactly midnight of the 29th in Berlin. The requester's own comment isn't a response; the
    # admin's after 30 min is. Resolved, reopened, resolved again at 00:30 CEST on the 30th.
    t3 = _ticket(
        desk, "T3", created="2026-03-28 23:00", team=team_a, status="resolved", tags=["printer"],
        resolved_at=at("2026-03-29 22:30"),
    )  # fmt: skip
    _comment(t3, requester, "2026-03-28 23:05")
    _comment(t3, admin, "2026-03-28 23:30")
    _move(t3, a, "in_progress", "resolved", "2026-03-29 12:00")
    _move(t3, requester, "resolved", "open", "2026-03-29 15:00")
    _move(t3, a, "open", "resolved", "2026-03-29 22:30")
    _approval(t3, a, "Purchase", RequestState.REJECTED, "2026-03-29 00:00", "2026-03-29 00:30")

    # T4: 23:59 CEST on the 30th, unanswered, urgent, unassigned, waiting for an approval since 20:00.
    t4 = _ticket(desk, "T4", created="2026-03-30 21:59", team=team_a, status="new", priority="urgent", tags=["vpn"])
    _approval(t4, a, "Manager approval", RequestState.PENDING, "2026-03-30 20:00")

    # T5: midnight of the 31st in Berlin: after the period (but open now).
    _ticket(desk, "T5", created="2026-03-30 22:00", team=team_a, status="new", tags=["printer"])

    # T6: raised long before, closed (never resolved) on the 29th at 11:00 CEST: 9 days exactly.
    t6 = _ticket(desk, "T6", created="2026-03-20 09:00", team=team_a, status="closed", closed_at=at("2026-03-29 09:00"))
    _move(t6, a, "open", "closed", "2026-03-29 09:00")

    # T8: the triage queue, raised by agent A, who comments on it: not a response to themself.
    t8 = _ticket(desk, "T8", created="2026-03-29 08:00", team=None, status="new", requester=a, tags=["vpn"])
    _comment(t8, a, "2026-03-29 08:10")
    _approval(t8, admin, "Manager approval", RequestState.APPROVED, "2026-03-29 09:00", "2026-03-29 10:00")

    add_team_b(desk)
    return desk


def add_team_b(desk: Desk, suffix: str = "") -> None:
    """Team B's ticket: counted for admins (and team B's agents), never for team A's agent."""
    b = desk.agent_b
    t7 = _ticket(
        desk, f"T7{suffix}", created="2026-03-29 10:00", team=desk.team_b, status="open", priority="urgent",
        assignee=b, tags=["secret-b"],
    )  # fmt: skip
    _comment(t7, b, "2026-03-29 10:05")
    _approval(t7, b, "Manager approval", RequestState.PENDING, "2026-03-25 08:00")


def add_team_b_history(desk: Desk, suffix: str) -> None:
    """More of team B, touching every figure: resolved, closed, reopened, decided, commented, tagged."""
    add_team_b(desk, suffix)
    b = desk.agent_b
    done = _ticket(
        desk, f"T9{suffix}", created="2026-03-28 08:00", team=desk.team_b, status="resolved", tags=["vpn", "b-only"],
        resolved_at=at("2026-03-29 12:00"), assignee=b,
    )  # fmt: skip
    _comment(done, b, "2026-03-28 08:01")
    _move(done, b, "open", "resolved", "2026-03-28 12:00")
    _move(done, desk.requester, "resolved", "open", "2026-03-28 13:00")
    _move(done, b, "open", "resolved", "2026-03-29 12:00")
    _approval(done, b, "Manager approval", RequestState.APPROVED, "2026-03-28 09:00", "2026-03-28 09:01")
    _approval(done, b, "B workflow", RequestState.REJECTED, "2026-03-28 09:00", "2026-03-28 19:00")
    closed = _ticket(desk, f"T10{suffix}", created="2026-03-29 01:00", team=desk.team_b, status="closed",
                     closed_at=at("2026-03-30 01:00"))  # fmt: skip
    _move(closed, b, "new", "closed", "2026-03-30 01:00")


# --- SLA ---------------------------------------------------------------------------------------
# Two policies, clocks computed by apps.sla's own sync from each ticket's history at NOW:
# "Urgent" (urgent tickets; office hours Mon-Fri 09:00-17:00 Europe/Berlin; 30 / 240 min) and
# "Team A" (team A's other tickets; 24/7; 60 / 480 min). T8 (triage queue, normal) and team B's
# normal tickets match none. 2026-03-27 is a Friday; the period is Saturday to Monday.


def add_sla(desk: Desk) -> None:
    """The policies, three more team-A tickets (S1 met with a pause, S2 paused now, S3 met in office
    hours across the weekend), and every desk ticket's clocks as of NOW (test_dashboard_sla.py)."""
    office = sla_services.calendar_create(
        actor=desk.admin, name="Office hours", timezone="Europe/Berlin", hours=HOURS_OFFICE
    )
    always = sla_services.calendar_create(actor=desk.admin, name="Around the clock", timezone="UTC", hours=HOURS_24_7)
    sla_services.policy_create(
        actor=desk.admin, name="Urgent", order=1, priority="urgent", calendar_id=office.pk,
        first_response_minutes=30, resolution_minutes=240,
    )  # fmt: skip
    sla_services.policy_create(
        actor=desk.admin, name="Team A", order=2, team_id=desk.team_a.pk, calendar_id=always.pk,
        first_response_minutes=60, resolution_minutes=480,
    )  # fmt: skip
    a = desk.agent_a

    # S1: on hold 06:20-07:20, answered at 07:30 (90 min, 30 of them counted), resolved at 12:00
    # (6 h, 5 counted).
    s1 = _ticket(desk, "S1", created="2026-03-29 06:00", team=desk.team_a, status="resolved",
                 resolved_at=at("2026-03-29 12:00"))  # fmt: skip
    _move(s1, a, "new", "on_hold", "2026-03-29 06:20")
    _move(s1, a, "on_hold", "open", "2026-03-29 07:20")
    _comment(s1, a, "2026-03-29 07:30")
    _move(s1, a, "open", "resolved", "2026-03-29 12:00")

    # S2: on hold since 08:30 on the 30th: both clocks paused, nothing decided.
    s2 = _ticket(desk, "S2", created="2026-03-30 08:00", team=desk.team_a, status="on_hold")
    _move(s2, a, "new", "on_hold", "2026-03-30 08:30")

    # S3: urgent, raised Friday 16:50 CET (15:50 UTC), before the period; answered Monday 09:10 CEST
    # (07:10 UTC): 10 + 10 business minutes; resolved Monday 11:00 CEST: 10 + 120.
    s3 = _ticket(desk, "S3", created="2026-03-27 15:50", team=desk.team_a, status="resolved", priority="urgent",
                 resolved_at=at("2026-03-30 09:00"))  # fmt: skip
    _comment(s3, a, "2026-03-30 07:10")
    _move(s3, a, "open", "resolved", "2026-03-30 09:00")

    sync_sla(desk)


def sync_sla(desk: Desk) -> None:
    """Every desk ticket's clocks as apps.sla computes them at NOW."""
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        for ticket in desk.tickets.values():
            sla_sync_ticket(ticket_id=ticket.pk)
