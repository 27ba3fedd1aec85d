"""Readiness checks for GET /health: each returns {"ok": True, ...} or raises.

Apps above core add their own (attachments: the file storage) with `register_serving_check` in
their AppConfig.ready(), so core needs no import of them.
"""

import asyncio
import logging
import time
import uuid
from collections.abc import Callable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection

logger = logging.getLogger(__name__)


def check_database() -> dict:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor, "ms": round((time.perf_counter() - started) * 1000, 1)}


async def _roundtrip(layer) -> None:
    channel = await layer.new_channel("health.")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "health.ping", "token": token})
    message = await asyncio.wait_for(layer.receive(channel), timeout=2)
    if message.get("token") != token:
        raise RuntimeError("channel layer returned a different message")


def check_channel_layer() -> dict:
    layer = get_channel_layer()
    started = time.perf_counter()
    async_to_sync(_roundtrip)(layer)
    return {"ok": True, "backend": type(layer).__name__, "ms": round((time.perf_counter() - started) * 1000, 1)}


def run_checks(checks: dict) -> tuple[bool, dict]:
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # a health endpoint reports failures, it doesn't raise them
            logger.warning("health check %s failed: %s", name, exc)
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return all(result["ok"] for result in results.values()), results


# name → check. A failing one makes /health answer 503 (this process can't serve).
_serving_checks: dict[str, Callable[[], dict]] = {"database": check_database, "channel_layer": check_channel_layer}


def register_serving_check(name: str, check: Callable[[], dict]) -> None:
    """Adds a check /health runs; called from an AppConfig.ready() (e.g. attachments' storage)."""
    _serving_checks[name] = check


def serving_checks() -> dict[str, Callable[[], dict]]:
    """The checks that decide 200 vs 503, in registration order (core's first)."""
    return dict(_serving_checks)
