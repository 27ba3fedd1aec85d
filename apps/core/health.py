import asyncio
import logging
import time
import uuid

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
