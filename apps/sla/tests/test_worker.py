"""Warning and breach jobs on real `db_worker` processes, with time controlled.

How time is controlled: every child process (the scenario steps that create tickets, and the
workers) reads Django's `timezone.now()` from a file the test writes (frozen_clock/sitecustomize.py).
Setting the file to a minute past a warning time makes that warning's job due for the workers —
they pick jobs by `run_after <= now` — and the job sees that minute as "now". Real sleeping only
paces the polling. Events are heard on Redis, where the children broadcast them.
"""

import asyncio
import contextlib
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings
from redis.exceptions import RedisError

from apps.core.events import group_name
from apps.core.testing.live_cluster import redis_url
from apps.core.testing.markers import requires_postgres
from apps.sla.tests.workers import worker_world

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class RedisListener:
    """Hears what the children broadcast on `topic` through the Redis channel layer."""

    def __init__(self, topic: str = "tickets"):
        self.layer = RedisPubSubChannelLayer(hosts=[redis_url()], prefix=settings.CHANNEL_LAYER_PREFIX)
        self.received: list[dict] = []
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.channel = asyncio.run_coroutine_threadsafe(self._join(topic), self.loop).result(timeout=60)
        self.receiving = asyncio.run_coroutine_threadsafe(self._receive_forever(), self.loop)

    async def _join(self, topic: str) -> str:
        # A loaded machine can make the first connection slow: retry rather than fail the test.
        for attempt in range(5):
            try:
                channel = await self.layer.new_channel("slatest.")
                await self.layer.group_add(group_name(topic), channel)
                return channel
            except (RedisError, OSError):
                if attempt == 4:
                    raise
                await asyncio.sleep(1)
        raise AssertionError("unreachable")

    async def _receive_forever(self) -> None:
        while True:
            message = await self.layer.receive(self.channel)
            self.received.append({"event": message["event"], "data": json.loads(message["frame"])["data"]})

    def fired(self, ticket_id: int) -> list[tuple[str, str]]:
        return [
            (m["event"], m["data"]["clock"])
            for m in self.received
            if m["event"] in ("ticket.sla_warning", "ticket.sla_breached") and m["data"]["ticket"]["id"] == ticket_id
        ]

    def settle(self, expected: int, timeout: float = 30) -> None:
        """Wait until at least `expected` SLA events arrived, then a little longer for extras."""
        deadline = time.monotonic() + timeout
        while self._sla_count() < expected and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)

    def _sla_count(self) -> int:
        return sum(1 for m in self.received if m["event"] in ("ticket.sla_warning", "ticket.sla_breached"))

    def close(self) -> None:
        self.receiving.cancel()
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self.layer.flush(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def listener():
    heard = RedisListener()
    yield heard
    heard.close()


def step_through(world, listener, moments: list[tuple[timedelta, int]]) -> None:
    """Move the clock to each moment, wait until the workers did every due job and the events came."""
    expected = 0
    for offset, new_events in moments:
        now = START + offset
        world.set_time(now)
        world.wait_idle(now)
        expected += new_events
        listener.settle(expected)


def assert_fired_once_each(world, listener, ticket_ids: list[int]) -> None:
    report = world.run("report", {"tickets": ticket_ids})
    assert report["failed_jobs"] == 0, world.logs()
    for ticket_id in ticket_ids:
        assert listener.fired(ticket_id) == [
            ("ticket.sla_warning", "first_response"),
            ("ticket.sla_breached", "first_response"),
            ("ticket.sla_warning", "resolution"),
            ("ticket.sla_breached", "resolution"),
        ]
        for kind in ("first_response", "resolution"):
            clock = report["clocks"][f"{ticket_id}:{kind}"]
            assert clock.get("sla_warning") == 1
            assert clock.get("sla_breached") == 1
            assert clock["state"] == "breached"


# Minutes from the start: first response warns at 45 and is due at 60; resolution warns at 180, due at 240.
TIMELINE = [(timedelta(minutes=30), 0), (timedelta(minutes=46), 1), (timedelta(minutes=61), 1)]
TIMELINE += [(timedelta(minutes=181), 1), (timedelta(minutes=241), 1), (timedelta(minutes=300), 0)]


def test_warning_then_breach_fire_exactly_once_and_a_resolved_clock_fires_nothing(tmp_path, listener):
    with worker_world(tmp_path, START) as world:
        setup = world.run("setup", {"count": 2})
        running, resolved = setup["tickets"]
        world.set_time(START + timedelta(minutes=20))
        world.run("resolve", {"ticket": resolved, "agent": setup["agent"]})
        with world.workers(1):
            # Nothing is due before the first warning: the jobs wait for their time.
            world.set_time(START + timedelta(minutes=44))
            world.wait_idle(START + timedelta(minutes=44))
            listener.settle(0)
            assert listener.fired(running) == []
            step_through(world, listener, TIMELINE)
        assert_fired_once_each(world, listener, [running])
        assert listener.fired(resolved) == []
        report = world.run("report", {"tickets": [resolved]})
        for kind in ("first_response", "resolution"):
            clock = report["clocks"][f"{resolved}:{kind}"]
            assert clock["state"] == "met"
            assert clock["warned_at"] is None and clock["breached_at"] is None
            assert "sla_warning" not in clock and "sla_breached" not in clock


@requires_postgres
def test_two_workers_with_duplicate_jobs_still_fire_exactly_once(tmp_path, listener):
    with worker_world(tmp_path, START) as world:
        ids = world.run("setup", {"count": 8})["tickets"]
        world.run("duplicate_jobs", {"tickets": ids, "copies": 3})
        with world.workers(2):
            step_through(world, listener, [(offset, n * len(ids)) for offset, n in TIMELINE])
        assert_fired_once_each(world, listener, ids)
