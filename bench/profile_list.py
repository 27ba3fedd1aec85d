"""Where one list request's time goes: the list (50/page, agent, with SLA fields) and /ping, in
process through Django's full request path (middleware, Ninja, authentication), on the database
bench/tickets.py seeded (run that first; `<name>_bench` next to DATABASE_URL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/profile_list.py [--requests 300]

Prints the mean wall and CPU time per request of each (the list and a detail with the auth cache
on and off), the queries per list request, and cProfile's
functions by cumulative time (the list's share of its own total), so a change can be judged by
what it removes.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()
    source = os.environ.get("DATABASE_URL", "")
    if not source.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to the PostgreSQL server bench/tickets.py used")
    from bench.tickets import bench_database_url

    os.environ.update(
        {
            "DATABASE_URL": bench_database_url(source),
            "DEBUG": "0",
            "SECRET_KEY": "profile-only-" + "x" * 40,
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "0",
            "AUTH_DEV_LOGIN": "0",
            "LOG_LEVEL": "WARNING",
            "REDIS_URL": "",
            "DATA_DIR": str(REPO / "data" / "bench"),
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from apps.accounts.models import User
    from apps.accounts.services import api_token_create
    from apps.tickets.models import Ticket

    agent = User.objects.get(username="bench-agent")
    _, secret = api_token_create(user=agent, name="profile")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    list_path = "/api/v1/tickets?limit=50"

    def timed(path: str) -> tuple[float, float]:
        """Mean wall and CPU (this process: what bounds one worker's rps) ms per request."""
        for _ in range(20):  # warm: connections, caches, first-hit imports
            assert client.get(path).status_code == 200
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.requests):
            client.get(path)
        return (
            (time.perf_counter() - wall) / args.requests * 1000,
            (time.process_time() - cpu) / args.requests * 1000,
        )

    detail_path = f"/api/v1/tickets/{Ticket.objects.filter(team__members=agent).order_by('-id').values_list('id', flat=True).first()}"
    rows = [("/ping", timed("/api/v1/ping")), ("list", timed(list_path)), ("detail", timed(detail_path))]
    with override_settings(AUTH_CACHE_SECONDS=0):
        rows += [("list, auth cache off", timed(list_path)), ("detail, auth cache off", timed(detail_path))]
    # Django resets its query log when a request starts; a wrapper sees every statement.
    queries = []

    def record(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append({"sql": sql, "time": f"{time.perf_counter() - started:.4f}"})

    client.get(list_path)  # the override above reset the auth cache: resolve the token again first
    with connection.execute_wrapper(record):
        assert client.get(list_path).status_code == 200
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        client.get(list_path)
    profile.disable()
    print(f"load average {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs); {args.requests} requests each\n")
    print("| request | wall ms | CPU ms (this process) | CPU / ping's |\n|---|---:|---:|---:|")
    ping_cpu = rows[0][1][1]
    for name, (wall_ms, cpu_ms) in rows:
        print(f"| {name} | {wall_ms:.2f} | {cpu_ms:.2f} | {cpu_ms / ping_cpu:.1f} |")
    print(f"\n{len(queries)} queries per list request:")
    for query in queries:
        print(f"  {query['time']}s  {query['sql'][:160]}")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
