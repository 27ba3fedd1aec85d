"""Demo history for the dashboard: six weeks of tickets worked through the real services (replies,
resolutions, a few reopens), then moved back in time so `make run` shows trends, not one busy day.

The services stamp "now"; this seeder alone rewrites those stamps (created, events, comments,
resolved/closed) to the planned past moments. Nothing else in the reports app writes.
"""

import random
from datetime import datetime, timedelta

from django.utils import timezone

from apps.accounts.models import Role, Team, User
from apps.accounts.services import user_ensure
from apps.comments.models import Comment
from apps.comments.services import comment_create
from apps.tickets import services
from apps.tickets.models import Status, Ticket, TicketEvent

DAYS = 42
COUNT = 110
TOPICS = [
    ("VPN drops when switching networks", "incident", ["vpn"]),
    ("Printer on floor {n} shows paper jam", "incident", ["printer"]),
    ("Password reset for the payroll system", "service_request", ["password", "payroll"]),
    ("Outlook keeps asking for credentials", "incident", ["email", "outlook"]),
    ("New laptop for a starter", "service_request", ["laptop", "onboarding"]),
    ("Access to the finance share", "service_request", ["access"]),
    ("Second monitor request", "service_request", ["monitor"]),
    ("Wi-Fi slow in meeting room {n}", "incident", ["wifi"]),
    ("Badge doesn't open the side door", "incident", ["badge"]),
    ("How do I book a desk?", "question", ["desk"]),
    ("Licence for the diagram tool", "service_request", ["license"]),
    ("Upgrade the build server", "change", ["server"]),
]
HISTORY_REQUESTERS = [
    ("pat.employee@example.com", "Pat Employee"),
    ("lee.employee@example.com", "Lee Employee"),
    ("kim.employee@example.com", "Kim Employee"),
]
REPLIES = ["Thanks, looking into it now.", "Could you send a screenshot?", "We're on it — back to you shortly."]


def _weighted_priority(rng: random.Random) -> str:
    return rng.choices(["low", "normal", "high", "urgent"], weights=[2, 5, 2.5, 0.8])[0]


class _Timeline:
    """Moves what each service call wrote to the moment the story says it happened."""

    def __init__(self, ticket: Ticket):
        self.ticket = ticket
        self.last_event = 0

    def at(self, moment: datetime) -> None:
        events = TicketEvent.objects.filter(ticket=self.ticket, id__gt=self.last_event)
        ids = list(events.values_list("id", flat=True))
        if ids:
            TicketEvent.objects.filter(id__in=ids).update(created_at=moment)
            self.last_event = max(ids)


def _story(rng: random.Random, n: int, people: dict, now: datetime) -> None:
    title, type_, tags = TOPICS[n % len(TOPICS)]
    team = people["desk"] if rng.random() < 0.8 else people["facilities"]
    staff = people["agents"][n % 2] if team == people["desk"] else people["admin"]
    requester = people["requesters"][n % len(people["requesters"])]
    # Newer tickets are more frequent: the desk is growing.
    created = now - timedelta(hours=DAYS * 24 * rng.random() ** 1.3) - timedelta(minutes=30)
    ticket = services.ticket_create(
        actor=requester,
        title=title.format(n=1 + n % 4),
        description="Raised from the demo history.",
        priority=_weighted_priority(rng),
        type=type_,
        team_id=team.pk,
    )
    line = _Timeline(ticket)
    line.at(created)
    moment = created + timedelta(minutes=5)
    ticket = services.ticket_update(actor=staff, ticket_id=ticket.pk, version=ticket.version, changes={"tags": tags})
    services.ticket_assign(actor=staff, ticket_id=ticket.pk, assignee_id=staff.pk)
    line.at(moment)
    comments = []
    if rng.random() < 0.88:
        moment = created + timedelta(minutes=3 + rng.expovariate(1 / 80))
        if moment < now:
            comments.append((comment_create(actor=staff, ticket_id=ticket.pk, body=rng.choice(REPLIES)), moment))
            line.at(moment)
    age = now - created
    resolved_at = closed_at = None
    if rng.random() < min(0.95, age / timedelta(days=3)):
        moment = min(now, moment + timedelta(hours=1 + rng.expovariate(1 / 20)))
        for status in ("in_progress", "resolved"):
            services.ticket_transition(actor=staff, ticket_id=ticket.pk, status=status)
        line.at(moment)
        resolved_at = moment
        if rng.random() < 0.08 and moment + timedelta(hours=5) < now:
            services.ticket_transition(actor=requester, ticket_id=ticket.pk, status="open")
            line.at(moment + timedelta(hours=2))
            services.ticket_transition(actor=staff, ticket_id=ticket.pk, status="resolved")
            resolved_at = moment + timedelta(hours=5)
            line.at(resolved_at)
        if rng.random() < 0.4 and resolved_at + timedelta(days=2) < now:
            services.ticket_transition(actor=staff, ticket_id=ticket.pk, status="closed")
            closed_at = resolved_at + timedelta(days=2)
            line.at(closed_at)
    elif rng.random() < 0.5:
        services.ticket_transition(actor=staff, ticket_id=ticket.pk, status="in_progress")
        line.at(min(now, moment + timedelta(minutes=10)))
    for comment, when in comments:
        Comment.objects.filter(pk=comment.pk).update(created_at=when)
    ticket.refresh_from_db()
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=created,
        updated_at=closed_at or resolved_at or moment,
        resolved_at=resolved_at if ticket.status in (Status.RESOLVED, Status.CLOSED) else None,
        closed_at=closed_at if ticket.status == Status.CLOSED else None,
    )


def seed() -> list[str]:
    if Ticket.objects.filter(description="Raised from the demo history.").exists():
        return []
    people = {
        "desk": Team.objects.filter(name="Service Desk").first(),
        "facilities": Team.objects.filter(name="Facilities").first(),
        "agents": list(User.objects.filter(email__in=["agent@example.com", "agent2@example.com"]).order_by("email")),
        "admin": User.objects.filter(email="admin@example.com").first(),
        # Its own requesters: the history's notifications (assignments, replies, resolutions of their
        # tickets) go to them, not into the inboxes of the demo people one signs in as.
        "requesters": [
            user_ensure(email=email, name=name, role=Role.REQUESTER, username=email.split("@")[0])[0]
            for email, name in HISTORY_REQUESTERS
        ],
    }
    if not all(people.values()) or len(people["agents"]) < 2:
        return []
    rng = random.Random(14)  # noqa: S311 (repeatable demo data, not secrets)
    now = timezone.now()
    for n in range(COUNT):
        _story(rng, n, people, now)
    return [f"{COUNT} tickets of demo history over {DAYS} days (for the dashboard)"]
