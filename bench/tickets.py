"""Ticket API benchmark on PostgreSQL: seeds N tickets in bulk, starts the real ASGI server, and
measures rps and latency of a constant endpoint (the ceiling), the list, a detail and a search.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/tickets.py [--tickets 100000]

It works in its own database (`<name>_bench` next to the one in DATABASE_URL) and keeps it
between runs, so a second run skips seeding. Prints a Markdown table.
"""

import argparse
import os
import random
import secrets
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

COMMON = [
    "printer",
    "network",
    "vpn",
    "laptop",
    "password",
    "email",
    "outlook",
    "screen",
    "keyboard",
    "mouse",
    "wifi",
    "server",
    "backup",
    "license",
    "invoice",
    "payroll",
    "access",
    "badge",
    "monitor",
    "phone",
    "headset",
    "calendar",
    "meeting",
    "desk",
    "chair",
    "office",
    "kitchen",
    "light",
    "door",
    "parking",
    "travel",
    "expense",
    "report",
    "database",
    "deploy",
    "release",
    "build",
    "pipeline",
    "certificate",
    "firewall",
]


def vocabulary(size: int = 5000) -> tuple[list[str], list[float]]:
    """Common IT words plus made-up ones, with Zipf-like cumulative weights: real ticket text has a long tail,
    so a two-word search matches a realistic handful, not half of the table."""
    rng = random.Random(7)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "bra", "cle", "dro", "fin", "gor", "hul"]
    made_up = {"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(size * 2)}
    words = COMMON + sorted(made_up - set(COMMON))[: size - len(COMMON)]
    cumulative, total = [], 0.0
    for rank in range(len(words)):
        total += 1 / (rank + 1)
        cumulative.append(total)
    return words, cumulative


def bench_database_url(url: str) -> str:
    parts = urlparse(url)
    name = parts.path.lstrip("/") or "postgres"
    return urlunparse(parts._replace(path=f"/{name}_bench"))


def ensure_database(url: str, *, drop: bool) -> None:
    import psycopg

    parts = urlparse(url)
    admin = urlunparse(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        name = parts.path.lstrip("/")
        if drop:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def seed(count: int) -> dict:
    from django.core.management import call_command
    from django.db import connection, transaction

    from apps.accounts.models import Role, Team, User
    from apps.accounts.services import api_token_create
    from apps.tickets.models import Ticket

    call_command("migrate", verbosity=0)
    teams = [Team.objects.get_or_create(name=f"Bench team {i}")[0] for i in range(5)]
    agent, _ = User.objects.get_or_create(
        username="bench-agent", defaults={"email": "bench-agent@example.com", "role": Role.AGENT}
    )
    teams[0].members.add(agent)
    requesters = [
        User.objects.get_or_create(username=f"bench-req-{i}", defaults={"email": f"bench-req-{i}@example.com"})[0]
        for i in range(200)
    ]
    existing = Ticket.objects.count()
    rng = random.Random(42)
    words, weights = vocabulary()
    started = time.perf_counter()
    batch = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT COALESCE(MAX(number), 0) FROM tickets_ticket")
            number = cursor.fetchone()[0]
        for _ in range(existing, count):
            number += 1
            batch.append(
                Ticket(
                    number=number,
                    title=" ".join(rng.choices(words, cum_weights=weights, k=rng.randint(3, 7))).capitalize(),
                    description=" ".join(rng.choices(words, cum_weights=weights, k=rng.randint(15, 60))),
                    status=rng.choice(["new", "open", "in_progress", "on_hold", "resolved", "closed"]),
                    priority=rng.randint(1, 4),
                    type=rng.choice(["incident", "service_request", "change", "question"]),
                    requester=rng.choice(requesters),
                    assignee=agent if rng.random() < 0.3 else None,
                    team=rng.choice(teams),
                )
            )
            if len(batch) == 5000:
                Ticket.objects.bulk_create(batch)
                batch.clear()
        if batch:
            Ticket.objects.bulk_create(batch)
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval('tickets_ticket_number_seq', %s)", [number])
            cursor.execute("ANALYZE tickets_ticket")
    seeded = count - existing
    if seeded > 0:
        print(f"seeded {seeded} tickets in {time.perf_counter() - started:.1f}s")
    _, secret = api_token_create(user=agent, name=f"bench {secrets.token_hex(3)}")
    sample = Ticket.objects.filter(team=teams[0]).order_by("-id").values_list("id", flat=True)[:200]
    return {"token": secret, "detail_ids": list(sample), "total": Ticket.objects.count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=8.0, help="duration of each measurement")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--reseed", action="store_true", help="drop the bench database first")
    parser.add_argument("--workers", type=int, default=2, help="also measure this many uvicorn workers (1: don't)")
    parser.add_argument("--skip-uncached", action="store_true", help="don't measure with the auth cache off")
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

    from apps.core.testing.servers import running_server
    from bench.loadgen import HEADER, measure

    headers = {"Authorization": f"Bearer {fixture['token']}"}
    words, _weights = vocabulary()
    rng = random.Random(3)
    # People search for the specific words of a problem, not for the words every ticket contains:
    # terms come from the vocabulary past its 50 most frequent words.
    specific = words[50:2000]
    searches = [f"/api/v1/tickets?q={'+'.join(rng.sample(specific, 2))}&limit=50" for _ in range(100)]
    searches += [f"/api/v1/tickets?q={rng.choice(specific)}&limit=50" for _ in range(100)]
    # And for the words nearly every ticket contains: the ranking work must stay bounded.
    common_searches = [f"/api/v1/tickets?q={word}&limit=50" for word in words[:10]]

    def measured(plan: list[tuple[str, list[str], int]], server_env: dict, uvicorn_args: tuple[str, ...] = ()):
        """Start a server with `server_env`, measure each (name, paths, clients) of `plan`, stop it."""
        with running_server({**env, **server_env}, uvicorn_args=uvicorn_args) as base_url:
            port = int(base_url.rsplit(":", 1)[1])
            return [
                measure(
                    name,
                    host="127.0.0.1",
                    port=port,
                    paths=paths,
                    headers=headers,
                    concurrency=clients,
                    seconds=args.seconds,
                )
                for name, paths, clients in plan
            ]

    load_before = os.getloadavg()
    ping, lists = ["/api/v1/ping"], ["/api/v1/tickets?limit=50"]
    details = [f"/api/v1/tickets/{i}" for i in fixture["detail_ids"]]
    clients = args.concurrency
    # One worker, the goals' setup, with the ceiling in the same run; "1 client": latency as one
    # person feels it, no queueing behind the others.
    one = measured(
        [
            ("ceiling: GET /ping", ping, clients),
            ("list: 50/page, agent", lists, clients),
            ("detail", details, clients),
            ("search: q=one or two words", searches, clients),
            ("detail, 1 client", details, 1),
            ("search, 1 client", searches, 1),
            ("search common, 1 client", common_searches, 1),
        ],
        {},
    )
    results = list(one)
    ratios = [("1 worker", one[1].rps / one[0].rps, one[2].rps / one[0].rps)]
    if not args.skip_uncached:
        # The same, resolving the token in the database on every request.
        off = measured(
            [
                ("ceiling (auth cache off)", ping, clients),
                ("list (auth cache off)", lists, clients),
                ("detail (auth cache off)", details, clients),
            ],
            {"AUTH_CACHE_SECONDS": "0"},
        )
        results += off
        ratios.append(("1 worker, auth cache off", off[1].rps / off[0].rps, off[2].rps / off[0].rps))
    if args.workers > 1:
        # Several workers share Redis, as every multi-process deployment must (cached authentication).
        redis = os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/0"
        base = measured(
            [("ceiling (1 worker, Redis)", ping, clients), ("list (1 worker, Redis)", lists, clients)],
            {"REDIS_URL": redis},
        )
        multi = measured(
            [
                (f"ceiling ({args.workers} workers, Redis)", ping, clients),
                (f"list ({args.workers} workers, Redis)", lists, clients),
            ],
            {"REDIS_URL": redis},
            ("--workers", str(args.workers)),
        )
        results += base + multi
    load_after = os.getloadavg()
    print(
        f"\n{fixture['total']} tickets, {args.concurrency} concurrent clients, {args.seconds:.0f}s each; "
        f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after ({os.cpu_count()} CPUs)\n"
    )
    print(HEADER)
    for result in results:
        print(result.row())
    print()
    for name, list_ratio, detail_ratio in ratios:
        print(f"{name}: list/ceiling = {list_ratio:.2f}, detail/ceiling = {detail_ratio:.2f} (goal ≥ 0.5)")
    if args.workers > 1:
        print(
            f"{args.workers} workers (Redis): list = {multi[1].rps / base[1].rps:.2f}× one worker's (goal ≥ 1.6), "
            f"ceiling {multi[0].rps / base[0].rps:.2f}× one worker's"
        )
    print(
        f"search p95 with 1 client: specific words {one[5].percentile(95):.1f} ms, "
        f"the most common words {one[6].percentile(95):.1f} ms (goal ≤ 30 ms at 100k, ≤ 100 ms at 1M)"
    )


if __name__ == "__main__":
    main()
