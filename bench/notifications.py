"""Notification costs: what deriving notifications adds to a request, its queries, and email send time.

    .venv/bin/python bench/notifications.py [--runs 30]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/notifications.py

Works in a scratch database (a SQLite file in a temporary directory, or `<db>_bench_notify` next
to the PostgreSQL database in DATABASE_URL, dropped afterwards). Prints Markdown tables; each
figure comes with its ceiling measured in the same run: the request without the notifications
subscriber, and a bare SMTP send of a one-line message to the same server.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def scratch_database() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url.startswith("postgres"):
        return f"sqlite:///{tempfile.mkdtemp(prefix='bench-notify-')}/bench.sqlite3"
    import psycopg

    parts = urlparse(url)
    name = f"{parts.path.lstrip('/') or 'postgres'}_bench_notify"
    admin = urlunparse(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parts._replace(path=f"/{name}"))


def drop(url: str) -> None:
    if url.startswith("postgres"):
        import psycopg

        parts = urlparse(url)
        admin = urlunparse(parts._replace(path="/postgres", scheme="postgresql"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    url = scratch_database()
    os.environ.update(
        {
            "DEBUG": "1",
            "AUTH_DEV_LOGIN": "0",
            "DATABASE_URL": url,
            "DATA_DIR": tempfile.mkdtemp(prefix="bench-notify-data-"),
            "REDIS_URL": "",
            "EMAIL_HOST": "",
            "DJANGO_SETTINGS_MODULE": "project.settings",
        }
    )
    import django

    django.setup()
    try:
        run(args.runs)
    finally:
        from django.db import connections

        connections.close_all()
        drop(url)


def run(runs: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}, runs per figure: {runs}\n")
    derivation(runs)
    email_sending(runs)


def derivation(runs: int) -> None:
    from apps.accounts.models import Role, Team, User
    from apps.tickets.services import ticket_create

    team = Team.objects.create(name="Bench desk")
    actor = User.objects.create(username="actor", email="actor@example.com", role=Role.AGENT)
    team.members.add(actor)
    requester = User.objects.create(username="req", email="req@example.com")
    print("| watchers | comment without notifications (ceiling) | with | derivation adds | derivation queries |")
    print("|---:|---:|---:|---:|---:|")
    for watchers in (2, 20, 200):
        ticket = ticket_create(actor=requester, title=f"Bench {watchers}", team_id=team.pk)
        people = User.objects.bulk_create(
            User(username=f"w{watchers}-{n}", email=f"w{watchers}-{n}@example.com") for n in range(watchers)
        )
        ticket.watchers.add(*people)
        bare, full, queries = measure_comment(actor, ticket.pk, runs)
        print(
            f"| {watchers} | {median_ms(bare)} ms | {median_ms(full)} ms | "
            f"{round(median_ms(full) - median_ms(bare), 2)} ms | {queries} |"
        )
    print()


def measure_comment(actor, ticket_id: int, runs: int) -> tuple[list[float], list[float], int]:
    """Comment timings without and with the notifications subscriber, and the subscriber's queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.comments.services import comment_create
    from apps.core import events
    from apps.notifications.subscriber import on_domain_event

    def comment():
        comment_create(actor=actor, ticket_id=ticket_id, body="Bench update")

    # Alternate the two, so a change in the machine's load weighs on both alike.
    index = events._subscribers.index(on_domain_event)
    comment()
    bare, full = [], []
    for _ in range(runs):
        events._subscribers.pop(index)
        try:
            bare += timed(comment, 1, warm=False)
        finally:
            events._subscribers.insert(index, on_domain_event)
        full += timed(comment, 1, warm=False)
    queries = []

    def counting(event):
        with CaptureQueriesContext(connection) as captured:
            on_domain_event(event)
        queries.append(len(captured))

    events._subscribers[index] = counting
    try:
        comment()
    finally:
        events._subscribers[index] = on_domain_event
    return bare, full, sum(queries)


def timed(action, runs: int, *, warm: bool = True) -> list[float]:
    if warm:
        action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def email_sending(runs: int) -> None:
    import smtplib

    from django.conf import settings
    from django.utils import timezone

    from apps.accounts.models import User
    from apps.core.testing.smtp import SmtpServer
    from apps.notifications import emails
    from apps.notifications.models import Notification, OutgoingEmail
    from apps.tickets.models import Ticket

    ticket = Ticket.objects.order_by("pk").first()
    with SmtpServer() as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port

        def bare() -> None:
            with smtplib.SMTP("127.0.0.1", smtp.port) as client:
                client.sendmail("a@example.com", ["b@example.com"], b"Subject: x\r\n\r\nx\r\n")

        ceiling = timed(bare, runs)
        samples = []
        for n in range(runs + 1):
            user = User.objects.create(username=f"mail{n}", email=f"mail{n}@example.com")
            ticket.watchers.add(user)
            email = OutgoingEmail.objects.create(recipient=user, ticket=ticket, send_after=timezone.now())
            Notification.objects.create(
                recipient=user,
                kind="comment_added",
                ticket=ticket,
                message="Actor commented on HD-1",
                detail="Some text\n" * 20,
                event_key=f"bench:{n}",
                email=email,
                email_state="pending",
            )
            started = time.perf_counter()
            assert emails.send_email(email.pk) == "sent"
            samples.append(time.perf_counter() - started)
    print("| email | per email (median) |")
    print("|---|---:|")
    print(f"| bare SMTP send of a one-line message (ceiling) | {median_ms(ceiling)} ms |")
    print(f"| claim, re-check, render text + HTML, send, record | {median_ms(samples[1:])} ms |")


if __name__ == "__main__":
    main()
