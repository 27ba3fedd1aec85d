"""Steps of the db_worker tests, run in child processes (`manage.py shell`) on the scratch database
under the frozen clock (see apps.sla.tests.workers). Each prints one JSON line."""

import json
import os
import sys

from django.db.models import Count

from apps.accounts.models import Role
from apps.core.testing.factories import make_team, make_user
from apps.sla import services as sla_services
from apps.sla.calendars import HOURS_24_7
from apps.sla.models import SlaClock
from apps.sla.tasks import sla_check
from apps.tickets import services as tickets
from apps.tickets.models import TicketEvent


def setup(args: dict) -> dict:
    """Users, a 24/7 calendar, one policy (60 / 240 minutes, warning at 75 %) and `count` tickets."""
    admin = make_user(Role.ADMIN)
    team = make_team()
    agent = make_user(Role.AGENT, teams=[team])
    requester = make_user(Role.REQUESTER)
    calendar = sla_services.calendar_create(actor=admin, name="24/7", timezone="UTC", hours=HOURS_24_7)
    sla_services.policy_create(
        actor=admin, name="Standard", calendar_id=calendar.pk, first_response_minutes=60, resolution_minutes=240
    )
    ids = [tickets.ticket_create(actor=requester, title=f"Job test {n}").pk for n in range(args["count"])]
    return {"tickets": ids, "agent": agent.pk}


def resolve(args: dict) -> dict:
    from apps.accounts.models import User

    agent = User.objects.get(pk=args["agent"])
    tickets.ticket_transition(actor=agent, ticket_id=args["ticket"], status="resolved")
    return {"ok": True}


def duplicate_jobs(args: dict) -> dict:
    """Stale and duplicate deadline jobs, as many re-schedules would leave behind: each must be harmless."""
    count = 0
    for clock in SlaClock.objects.filter(ticket_sla_id__in=args["tickets"]):
        for moment in (clock.warning_at, clock.due_at):
            for _ in range(args["copies"]):
                sla_check.using(run_after=moment).enqueue(clock.ticket_sla_id)
                count += 1
    return {"enqueued": count}


def report(args: dict) -> dict:
    """Per ticket: stamps and how many warning/breach activity rows each clock got."""
    clocks = {
        f"{c.ticket_sla_id}:{c.kind}": {"warned_at": c.warned_at, "breached_at": c.breached_at, "state": c.state}
        for c in SlaClock.objects.filter(ticket_sla_id__in=args["tickets"])
    }
    rows = (
        TicketEvent.objects.filter(ticket_id__in=args["tickets"], kind__in=("sla_warning", "sla_breached"))
        .values("ticket_id", "kind", "new__clock")
        .annotate(n=Count("id"))
    )
    for row in rows:
        clocks[f"{row['ticket_id']}:{row['new__clock']}"][row["kind"]] = row["n"]
    return {"clocks": clocks, "failed_jobs": _failed_jobs()}


def _failed_jobs() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(status="FAILED").count()


def main(step: str) -> None:
    result = globals()[step](json.loads(os.environ.get("SCENARIO_ARGS") or "{}"))
    sys.stdout.write(json.dumps(result, default=str) + "\n")
