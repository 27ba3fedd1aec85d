"""Demo SLA: an office calendar (Mon-Fri 09:00-17:00, Berlin, German public holidays), a 24/7 one,
a policy per priority, clocks on every demo ticket, and three tickets near or past their first
response target so the list shows "due in", "at risk" and "overdue" whenever `make run` starts."""

from datetime import timedelta

from django.utils import timezone

from apps.accounts.models import Team, User
from apps.sla import services
from apps.sla.calendars import HOURS_24_7, HOURS_OFFICE
from apps.sla.models import BusinessCalendar, SlaPolicy
from apps.sla.sync import sla_sync_ticket
from apps.tickets import services as tickets
from apps.tickets.models import Ticket, TicketEvent

OFFICE = "Office hours (Berlin)"
AROUND_THE_CLOCK = "Around the clock"
# (name, order, priority, calendar, first response, resolution) in business minutes.
POLICIES = [
    ("Urgent", 10, "urgent", AROUND_THE_CLOCK, 30, 240),
    ("High", 20, "high", AROUND_THE_CLOCK, 60, 480),
    ("Normal", 30, "normal", OFFICE, 240, 3 * 480),
    ("Low", 40, "low", OFFICE, 480, 5 * 480),
]
# (title, description, priority, raised this many minutes ago): near and past breach on 24/7 policies.
DEMO_TICKETS = [
    ("Email server down for the whole office", "Outlook can't connect since a few minutes.", "urgent", 25),
    ("Payroll export fails with error 500", "The monthly export stops at 40 %.", "high", 75),
    ("Wi-Fi keeps dropping in meeting room 3", "Calls drop every few minutes.", "high", 50),
]


def _calendars(admin: User) -> dict[str, BusinessCalendar]:
    calendars = {
        calendar.name: calendar for calendar in BusinessCalendar.objects.filter(name__in=[OFFICE, AROUND_THE_CLOCK])
    }
    if OFFICE not in calendars:
        calendars[OFFICE] = services.calendar_create(
            actor=admin, name=OFFICE, timezone="Europe/Berlin", hours=HOURS_OFFICE, holiday_country="DE"
        )
    if AROUND_THE_CLOCK not in calendars:
        calendars[AROUND_THE_CLOCK] = services.calendar_create(
            actor=admin, name=AROUND_THE_CLOCK, timezone="UTC", hours=HOURS_24_7
        )
    return calendars


def _raise_backdated(requester: User, desk: Team | None, title: str, description: str, priority: str, minutes: int):
    ticket = tickets.ticket_create(
        actor=requester, title=title, description=description, priority=priority, team_id=desk.pk if desk else None
    )
    # Demo data only: pretend it was raised `minutes` ago, activity log included.
    raised = timezone.now() - timedelta(minutes=minutes)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=raised)
    TicketEvent.objects.filter(ticket=ticket).update(created_at=raised)
    return ticket


def seed() -> list[str]:
    admin = User.objects.filter(email="admin@example.com").first()
    requester = User.objects.filter(email="requester@example.com").first()
    if admin is None or requester is None or SlaPolicy.objects.filter(name=POLICIES[0][0]).exists():
        return []
    calendars = _calendars(admin)
    for name, order, priority, calendar, first_response, resolution in POLICIES:
        services.policy_create(
            actor=admin,
            name=name,
            order=order,
            priority=priority,
            calendar_id=calendars[calendar].pk,
            first_response_minutes=first_response,
            resolution_minutes=resolution,
        )
    desk = Team.objects.filter(name="Service Desk").first()
    for title, description, priority, minutes in DEMO_TICKETS:
        if not Ticket.objects.filter(title=title).exists():
            _raise_backdated(requester, desk, title, description, priority, minutes)
    # Every ticket gets the clocks of the policy it matches, counted from its creation.
    ids = list(Ticket.objects.values_list("pk", flat=True))
    for ticket_id in ids:
        sla_sync_ticket(ticket_id=ticket_id)
    return [f"{len(POLICIES)} SLA policies on 2 calendars; clocks on {len(ids)} tickets"]
