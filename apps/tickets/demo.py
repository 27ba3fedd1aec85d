"""Demo tickets, created through the services so they carry numbers, activity and events."""

from apps.accounts.models import Team, User
from apps.tickets import services
from apps.tickets.models import Ticket

DEMO_TICKETS = [
    # (requester, title, description, priority, type, status, assign to agent)
    (
        "requester@example.com",
        "Laptop won't start after update",
        "Since this morning's update my laptop shows a black screen after the logo.",
        "high",
        "incident",
        "open",
        True,
    ),
    (
        "requester@example.com",
        "New monitor for my desk",
        "I'd like a second 27\" monitor for the new desk on floor 2.",
        "normal",
        "service_request",
        "new",
        False,
    ),
    (
        "requester2@example.com",
        "VPN drops every 10 minutes",
        "Working from home, the VPN disconnects roughly every ten minutes.",
        "urgent",
        "incident",
        "in_progress",
        True,
    ),
    (
        "requester2@example.com",
        "How do I share a calendar?",
        "I want my team to see my calendar. Where is that setting?",
        "low",
        "question",
        "resolved",
        True,
    ),
]


def seed() -> list[str]:
    if Ticket.objects.filter(title__in=[t[1] for t in DEMO_TICKETS]).exists():
        return []
    desk = Team.objects.filter(name="Service Desk").first()
    agent = User.objects.filter(email="agent@example.com").first()
    created = 0
    for email, title, description, priority, type_, status, assign in DEMO_TICKETS:
        requester = User.objects.filter(email=email).first()
        if requester is None or agent is None:
            continue
        ticket = services.ticket_create(
            actor=requester,
            title=title,
            description=description,
            priority=priority,
            type=type_,
            team_id=desk.pk if desk else None,
        )
        if assign:
            services.ticket_assign(actor=agent, ticket_id=ticket.pk, assignee_id=agent.pk)
        path = {"open": ["open"], "in_progress": ["open", "in_progress"], "resolved": ["open", "resolved"]}
        for step in path.get(status, []):
            services.ticket_transition(actor=agent, ticket_id=ticket.pk, status=step)
        created += 1
    return [f"{created} demo tickets"]
