"""SLA benchmark on PostgreSQL: recomputing the clocks of N open tickets after a calendar change, and
the ticket list filtered `sla=at_risk` against the same list without SLA, side by side.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/sla.py [--tickets 100000]

Works in its own database (`<name>_slabench`), kept between runs (`--reseed` starts over). Seeding
bulk-inserts tickets raised over the last 24 hours (24/7 calendar, targets 24 h / 72 h) and gives them clocks through the same batch
path a calendar change uses (`apps.sla.sync.sla_sync_tickets`, RECALCULATE_BATCH tickets per
transaction). The recalculation is then timed end to end: a holiday added to the calendar through
`calendar_update` enqueues `sla_recalculate_calendar`, and the jobs run here in this process one
batch after another, exactly as `db_worker` would run them. The list figures come from the real
ASGI server (uvicorn, one worker) under the load generator of bench/tickets.py.
"""

import argparse
import os
import random
import secrets
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.tickets import ensure_database  # noqa: E402

OPEN_STATUSES = ["new", "open", "in_progress", "on_hold"]


def bench_database_url(url: str) -> str:
    parts = urlparse(url)
    name = parts.path.lstrip("/") or "postgres"
    return urlunparse(parts._replace(path=f"/{name}_slabench"))


def seed(count: int) -> dict:
    from django.core.management import call_command
    from django.db import connection, transaction

    from apps.accounts.models import Role, Team, User
    from apps.accounts.services import api_token_create
    from apps.sla import services as sla_services
    from apps.sla.calendars import HOURS_24_7
    from apps.sla.models import BusinessCalendar, TicketSla
    from apps.tickets.models import Ticket

    call_command("migrate", verbosity=0)
    team, _ = Team.objects.get_or_create(name="Bench desk")
    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"email": "a@example.com", "role": Role.ADMIN}
    )
    agent, _ = User.objects.get_or_create(
        username="bench-agent", defaults={"email": "b@example.com", "role": Role.AGENT}
    )
    team.members.add(agent)
    requesters = [User.objects.get_or_create(username=f"bench-req-{i}")[0] for i in range(100)]
    # 24/7 so the figures don't depend on the hour the bench runs: first response in 24 h, resolution
    # in 72 h, tickets raised over the last 24 h -> about a quarter past the 75 % warning (at risk).
    calendar = BusinessCalendar.objects.filter(name="Bench 24/7").first()
    if calendar is None:
        calendar = sla_services.calendar_create(actor=admin, name="Bench 24/7", timezone="UTC", hours=HOURS_24_7)
        sla_services.policy_create(
            actor=admin,
            name="Bench standard",
            calendar_id=calendar.pk,
            first_response_minutes=24 * 60,
            resolution_minutes=72 * 60,
        )
    existing = Ticket.objects.count()
    rng = random.Random(42)
    started = time.perf_counter()
    with transaction.atomic():
        number = Ticket.objects.order_by("-number").values_list("number", flat=True).first() or 0
        batch = []
        for _ in range(existing, count):
            number += 1
            batch.append(
                Ticket(
                    number=number,
                    title=f"Bench ticket {number}",
                    status=rng.choice(OPEN_STATUSES),
                    priority=rng.randint(1, 4),
                    requester=rng.choice(requesters),
                    team=team,
                )
            )
            if len(batch) == 5000:
                Ticket.objects.bulk_create(batch)
                batch.clear()
        if batch:
            Ticket.objects.bulk_create(batch)
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval('tickets_ticket_number_seq', %s)", [number])
            cursor.execute(
                "UPDATE tickets_ticket SET created_at = now() - random() * interval '24 hours' WHERE id > %s",
                [TicketSla.objects.order_by("-ticket_id").values_list("ticket_id", flat=True).first() or 0],
            )
    if count > existing:
        print(f"seeded {count - existing} tickets in {time.perf_counter() - started:.1f}s")
    missing = list(Ticket.objects.filter(sla_record__isnull=True).order_by("id").values_list("id", flat=True))
    if missing:
        from apps.sla.sync import sla_sync_tickets
        from apps.sla.tasks import RECALCULATE_BATCH

        started = time.perf_counter()
        for index in range(0, len(missing), RECALCULATE_BATCH):
            sla_sync_tickets(ticket_ids=missing[index : index + RECALCULATE_BATCH])
        print(f"started clocks on {len(missing)} tickets in {time.perf_counter() - started:.1f}s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")
    _, secret = api_token_create(user=agent, name=f"bench {secrets.token_hex(3)}")
    return {"token": secret, "admin": admin, "calendar": calendar, "total": Ticket.objects.count()}


def recalculate(admin, calendar) -> tuple[float, int, int]:
    """Adds (or removes) a holiday through the service, then runs the jobs it enqueued in order.
    Returns (seconds, tickets recomputed, jobs run)."""
    from django_tasks_db.models import DBTaskResult

    from apps.sla import services as sla_services

    path = "apps.sla.tasks.sla_recalculate_calendar"
    DBTaskResult.objects.filter(task_path=path).delete()
    # The first day from the day after tomorrow (UTC) that isn't a holiday yet becomes one: the
    # resolution clocks (72 h) lose its hours and are due later, first responses stay at risk as they
    # were; every open ticket is recomputed (each run adds another day).
    day = date.today() + timedelta(days=2)
    while day.isoformat() in calendar.holidays:
        day += timedelta(days=1)
    holidays = [*calendar.holidays, day.isoformat()]
    started = time.perf_counter()
    calendar = sla_services.calendar_update(actor=admin, calendar_id=calendar.pk, changes={"holidays": holidays})
    tickets = jobs = 0
    while job := DBTaskResult.objects.filter(task_path=path, status="READY").order_by("enqueued_at").first():
        job.delete()
        tickets += job.task.call(*job.args_kwargs["args"], **job.args_kwargs["kwargs"])
        jobs += 1
    return time.perf_counter() - started, tickets, jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=8.0, help="duration of each list measurement")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--reseed", action="store_true", help="drop the bench database first")
    parser.add_argument("--list-only", action="store_true", help="skip the recalculation, measure the lists")
    args = parser.parse_args()

    source = os.environ.get("DATABASE_URL", "")
    if not source.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/test")
    url = bench_database_url(source)
    ensure_database(url, drop=args.reseed)
    env = {
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "AUTH_DEV_LOGIN": "0",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": "",
        "DATA_DIR": str(REPO / "data" / "bench"),
    }
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    fixture = seed(args.tickets)
    recomputed = 0
    if not args.list_only:
        seconds, recomputed, jobs = recalculate(fixture["admin"], fixture["calendar"])
    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")  # the recalculation rewrote every SLA column

    from apps.core.testing.servers import running_server
    from apps.tickets.models import Ticket
    from bench.loadgen import HEADER, measure

    at_risk = Ticket.objects.filter(sla_warning_at__lte=timezone.now(), sla_breached=False).count()
    headers = {"Authorization": f"Bearer {fixture['token']}"}
    with running_server(env) as base_url:
        run = {
            "host": "127.0.0.1",
            "port": int(base_url.rsplit(":", 1)[1]),
            "headers": headers,
            "concurrency": args.concurrency,
            "seconds": args.seconds,
        }
        results = [
            measure("ceiling: GET /ping", paths=["/api/v1/ping"], **run),
            measure("list: 50/page, no SLA filter", paths=["/api/v1/tickets?limit=50"], **run),
            measure("list: 50/page, sla=at_risk", paths=["/api/v1/tickets?limit=50&sla=at_risk"], **run),
            measure("list: 50/page, ordering=sla_due", paths=["/api/v1/tickets?limit=50&ordering=sla_due"], **run),
        ]
    print(f"\n{fixture['total']} open tickets on PostgreSQL; {at_risk} at risk now\n")
    if recomputed:
        print(
            f"calendar change → recomputed {recomputed} tickets in {seconds:.1f}s "
            f"({recomputed / seconds:.0f} tickets/s, {jobs} jobs of up to 500)\n"
        )
    print(HEADER)
    for result in results:
        print(result.row())
    plain, filtered, ordered = results[1], results[2], results[3]
    print(
        f"\nsla=at_risk / plain list = {filtered.rps / plain.rps:.2f} (goal ≥ 0.9); "
        f"ordering=sla_due / plain list = {ordered.rps / plain.rps:.2f}"
    )


if __name__ == "__main__":
    main()
