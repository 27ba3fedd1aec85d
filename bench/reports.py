"""Reports benchmark on PostgreSQL: dashboard latency (one client) and CSV export throughput and
server memory, against the real ASGI server, at N tickets.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/reports.py --tickets 100000
    DATABASE_URL=... .venv/bin/python bench/reports.py --tickets 1000000 --export-rows 100000

Works in its own database (`<name>_reports_bench`), kept between runs: a run tops it up to
`--tickets` with bench/seed.py (SQL generate_series; --reseed starts over), so 100k then 1M seeds
only the difference. Prints the machine load beside the figures; goals: dashboard p95 ≤ 150 ms at
100k and ≤ 1 s at 1M, export ≥ 20 000 rows/s with flat memory.
"""

import argparse
import os
import secrets
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.tickets import ensure_database  # noqa: E402

MIB = 1024 * 1024


def bench_url(url: str) -> str:
    from urllib.parse import urlparse, urlunparse

    parts = urlparse(url)
    return urlunparse(parts._replace(path=f"/{parts.path.lstrip('/') or 'postgres'}_reports_bench"))


def prepare(count: int) -> dict:
    from django.core.management import call_command

    from apps.accounts.models import Role, User
    from apps.accounts.services import api_token_create
    from apps.tickets.models import Ticket
    from bench.seed import seed_desk

    call_command("migrate", verbosity=0)
    existing = Ticket.objects.count()
    if existing < count:
        started = time.perf_counter()
        seeded = seed_desk(tickets=count - existing)
        print(f"seeded {count - existing} tickets in {time.perf_counter() - started:.0f} s: {seeded['seconds']}")
    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"email": "bench-admin@example.com", "role": Role.ADMIN}
    )
    agent = User.objects.get(username="seed-agent-0-0")
    tokens = {
        who: api_token_create(user=user, name=f"bench {secrets.token_hex(3)}")[1]
        for who, user in (("admin", admin), ("agent", agent))
    }
    return {"tokens": tokens, "total": Ticket.objects.count(), "team": agent.teams.first().pk}


def _backend_pids() -> list[int]:
    """PostgreSQL backends of the server process: every client connection to the bench database but ours."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def cpu_per_request(base_url: str, path: str, headers: dict, server_pid: int, count: int = 20) -> dict:
    """CPU the server process and its PostgreSQL backends spend per request, over `count` sequential
    requests: unlike latency, it hardly depends on what else the machine is doing (parallel query
    workers, which come and go, are not counted)."""
    import httpx

    from apps.core.testing.processes import cpu_seconds

    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        client.get(path).raise_for_status()  # the pool's connections exist and are warm
        backends = _backend_pids()
        server_before = cpu_seconds(server_pid)
        database_before = sum(cpu_seconds(pid) for pid in backends)
        for _ in range(count):
            client.get(path).raise_for_status()
        server = cpu_seconds(server_pid) - server_before
        database = sum(cpu_seconds(pid) for pid in backends if Path(f"/proc/{pid}").exists()) - database_before
    return {"server_ms": server * 1000 / count, "database_ms": database * 1000 / count}


def export_run(base_url: str, token: str, params: dict, pid: int) -> dict:
    """Streams one export, sampling the server's RSS every 50 ms; rows/s and memory figures."""
    import httpx

    from apps.core.testing.processes import rss_bytes

    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(rss_bytes(pid))
            time.sleep(0.05)

    before = rss_bytes(pid)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    rows = size = 0
    started = time.perf_counter()
    with httpx.stream(
        "GET",
        f"{base_url}/api/v1/tickets/export",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=600,
    ) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            rows += chunk.count(b"\n")
            size += len(chunk)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return {
        "rows": rows - 1,
        "seconds": seconds,
        "rows_per_s": (rows - 1) / seconds,
        "mib": size / MIB,
        "rss_before": before / MIB,
        "rss_peak": max(samples or [before]) / MIB,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each latency measurement")
    parser.add_argument("--export-rows", type=int, default=100_000, help="rows in the export measurement")
    parser.add_argument("--reseed", action="store_true", help="drop the bench database first")
    args = parser.parse_args()

    source = os.environ.get("DATABASE_URL", "")
    if not source.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/test")
    url = bench_url(source)
    ensure_database(url, drop=args.reseed)
    env = {
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "AUTH_DEV_LOGIN": "0",
        "REDIS_URL": "",
        "DATA_DIR": str(REPO / "data" / "bench"),
    }
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    fixture = prepare(args.tickets)

    from apps.core.testing.processes import uvicorn_pid
    from apps.core.testing.servers import running_server
    from bench.loadgen import HEADER, measure

    load_before = os.getloadavg()
    with running_server(env) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        run = {"host": "127.0.0.1", "port": port, "concurrency": 1, "seconds": args.seconds}
        as_admin = {"Authorization": f"Bearer {fixture['tokens']['admin']}"}
        as_agent = {"Authorization": f"Bearer {fixture['tokens']['agent']}"}
        dashboard = "/api/v1/reports/dashboard?tz=Europe/Berlin"
        results = [
            measure("ceiling: GET /ping", paths=["/api/v1/ping"], headers=as_admin, **run),
            measure("dashboard, admin, 30 days", paths=[dashboard], headers=as_admin, **run),
            measure("dashboard, agent, 30 days", paths=[dashboard], headers=as_agent, **run),
            measure(
                "dashboard, admin, one team",
                paths=[f"{dashboard}&team={fixture['team']}"],
                headers=as_admin,
                **run,
            ),
        ]
        # A 90-day period: three times the rows for the period figures.
        import datetime as dt

        today = dt.date.today()
        quarter = f"{dashboard}&from={today - dt.timedelta(days=89)}&to={today}"
        results.append(measure("dashboard, admin, 90 days", paths=[quarter], headers=as_admin, **run))
        pid = uvicorn_pid(port)
        cpu = {
            "admin, 30 days": cpu_per_request(base_url, dashboard, as_admin, pid),
            "agent, 30 days": cpu_per_request(base_url, dashboard, as_agent, pid),
            "admin, 90 days": cpu_per_request(base_url, quarter, as_admin, pid),
            "ceiling: ping": cpu_per_request(base_url, "/api/v1/ping", as_admin, pid),
        }
        # The newest export_rows tickets: the list's default order, cut by created_after.
        from apps.tickets.models import Ticket

        cutoff = (
            Ticket.objects.order_by("-created_at").values_list("created_at", flat=True)[args.export_rows - 1]
            if fixture["total"] >= args.export_rows
            else None
        )
        params = {"created_after": cutoff.isoformat()} if cutoff else {}
        export_run(base_url, fixture["tokens"]["admin"], {"team": fixture["team"], **params}, pid)  # warm-up
        export = export_run(base_url, fixture["tokens"]["admin"], params, pid)
    load_after = os.getloadavg()
    print(f"\n{fixture['total']} tickets, 1 client, {args.seconds:.0f}s each, 1 uvicorn worker")
    print(f"load average (1/5/15 min) before {load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, "
          f"after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f} on {os.cpu_count()} cores\n")  # fmt: skip
    print(HEADER)
    for result in results:
        print(result.row())
    print("\nCPU per request, 20 sequential requests (hardly depends on the machine's load):")
    print("| request          | server ms | PostgreSQL ms |\n|---|---:|---:|")
    for name, figures in cpu.items():
        print(f"| {name:<16} | {figures['server_ms']:9.1f} | {figures['database_ms']:13.1f} |")
    goal = 150 if fixture["total"] <= 150_000 else 1000
    worst = max(result.percentile(95) for result in results[1:])
    print(f"\ndashboard p95 worst case {worst:.0f} ms (goal ≤ {goal} ms at this size)")
    print(
        f"export: {export['rows']} rows ({export['mib']:.1f} MiB) in {export['seconds']:.1f} s = "
        f"{export['rows_per_s']:.0f} rows/s (goal ≥ 20000); server RSS {export['rss_before']:.0f} MiB before, "
        f"peak {export['rss_peak']:.0f} MiB during"
    )


if __name__ == "__main__":
    main()
