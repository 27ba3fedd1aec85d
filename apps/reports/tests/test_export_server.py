"""The export through a real uvicorn process on PostgreSQL: a 100 000-row CSV streams in constant
memory. The server's peak RSS (VmHWM) after exporting ~11 000 rows and after 100 000 rows must be
about the same; a server that held the rows or the CSV would grow by at least the CSV's size."""

import csv
import io

import httpx
import pytest
from django.conf import settings

from apps.accounts.models import Role, Team
from apps.core.testing.client import bearer_for
from apps.core.testing.factories import make_user
from apps.core.testing.markers import requires_postgres
from apps.core.testing.processes import peak_rss_bytes, rss_bytes, uvicorn_pid
from apps.core.testing.servers import running_server
from bench.seed import seed_desk

ROWS = 100_000
MIB = 1024 * 1024


def _database_url() -> str:
    database = settings.DATABASES["default"]
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    return f"postgres://{database['USER']}{password}@{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}"


def _export(base_url: str, token: str, params: dict) -> tuple[int, int]:
    """Streams the export; returns (data rows, bytes)."""
    size, tail, rows = 0, b"", 0
    with httpx.stream(
        "GET",
        f"{base_url}/api/v1/tickets/export",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    ) as response:
        assert response.status_code == 200
        for chunk in response.iter_bytes():
            size += len(chunk)
            rows += chunk.count(b"\n")  # seeded titles have no line breaks
            tail = (tail + chunk)[-4096:]
    last = list(csv.reader(io.StringIO(tail.decode("utf-8", "replace"))))[-1]
    assert last[0].startswith("HD-")
    return rows - 1, size


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_100k_row_export_does_not_grow_the_servers_memory(tmp_path):
    seed_desk(tickets=ROWS, days=365, requesters=200)
    admin = make_user(Role.ADMIN)
    team = Team.objects.get(name="Seed team 0")
    token = bearer_for(admin)
    env = {"DATABASE_URL": _database_url(), "DATA_DIR": str(tmp_path), "REDIS_URL": ""}
    with running_server(env) as base_url:
        pid = uvicorn_pid(int(base_url.rsplit(":", 1)[1]))
        # Warm up: imports, connection pool, first query plans.
        _export(base_url, token, {"team": team.pk, "ordering": "created"})
        small_rows, small_bytes = _export(base_url, token, {"team": team.pk})
        after_small = peak_rss_bytes(pid)
        large_rows, large_bytes = _export(base_url, token, {})
        after_large = peak_rss_bytes(pid)
        resident = rss_bytes(pid)
    assert large_rows == ROWS and 5_000 < small_rows < 20_000
    growth = after_large - after_small
    extra_csv = large_bytes - small_bytes
    figures = (
        f"export RSS: peak {after_small / MIB:.1f} MiB after {small_rows} rows, {after_large / MIB:.1f} MiB after "
        f"{large_rows} rows ({growth / MIB:+.1f} MiB; the extra CSV is {extra_csv / MIB:.1f} MiB); now {resident / MIB:.1f}"
    )
    # Holding the extra rows or their CSV would add at least extra_csv (~20 MiB); streaming adds ~nothing.
    assert growth < min(extra_csv / 4, 8 * MIB), figures
