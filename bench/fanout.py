"""Websocket fan-out benchmark: one busy ticket, many open screens, two server processes.

    .venv/bin/python bench/fanout.py [--clients 500] [--rounds 20] [--layers pubsub,lists]
                                     [--database-url postgres://postgres@127.0.0.1:5432/test]

For each channel-layer kind it starts 2 real uvicorn processes on Redis (REDIS_URL, or the local
one) and a scratch database (SQLite, or a new database on the PostgreSQL server given), seeds N
agents of one team with personal API tokens, connects N websocket clients split evenly across the
two processes, all subscribed to one ticket, and then measures two paths, round by round:

- baseline: a bare `group_send` from this process onto the ticket's group (Redis → consumer →
  socket; no request, no database), latency from just before the send;
- REST: `PATCH /tickets/{id}` on process A; the consumers filter by audience per recipient.
  commit → socket: from the moment the event appears on the channel layer (a bare channel of this
  process in the ticket's group notes it; the server publishes in transaction.on_commit, i.e.
  right after the commit). updated_at → socket: from the ticket's `updated_at`, stamped inside
  the transaction before the activity row, the payload and the commit: an upper bound.

Prints a Markdown table: delivered/expected, p50/p99/max latency. Goal: p99 ≤ 250 ms, 100 %.
Everything runs on this machine, clients included, so the clients' own CPU time is in the figures.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import contextlib  # noqa: E402

import httpx  # noqa: E402
import websockets  # noqa: E402

from apps.core.testing.live_cluster import cluster, redis_url, scratch_database  # noqa: E402

LAYER_CLASSES = {
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "lists": "channels_redis.core.RedisChannelLayer",
}
CONNECT_BATCH = 50
ROUND_TIMEOUT_S = 10.0


class Recorder:
    """Receive times per (path, round), written by every client's reader task."""

    def __init__(self):
        self.latencies: dict[tuple[str, int], list[float]] = defaultdict(list)
        self.waiters: dict[tuple[str, int], asyncio.Event] = {}
        self.expected = 0
        self.dropped: list[str] = []
        self.rest_received: dict[int, list[float]] = defaultdict(list)
        # When each REST round's event appeared on the channel layer: published after the commit.
        self.published: dict[int, float] = {}

    def complete(self, key: tuple[str, int]) -> bool:
        # Sockets that were dropped will not report: waiting for them would only stall the round.
        return len(self.latencies[key]) >= self.expected - len(self.dropped)

    def arrived(self, key: tuple[str, int], latency: float) -> None:
        self.latencies[key].append(latency)
        if key in self.waiters and self.complete(key):
            self.waiters[key].set()

    async def wait(self, key: tuple[str, int]) -> None:
        event = self.waiters.setdefault(key, asyncio.Event())
        if self.complete(key):
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(event.wait(), ROUND_TIMEOUT_S)


def _timestamp(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


async def client(url: str, token: str, topic: str, recorder: Recorder, ready: asyncio.Queue) -> None:
    """One screen. A socket that fails or is dropped is reported (and its events count as lost)."""
    try:
        await _client(url, token, topic, recorder, ready)
    except (TimeoutError, OSError, websockets.ConnectionClosed, AssertionError) as exc:
        recorder.dropped.append(f"{type(exc).__name__}: {exc}")
        await ready.put(False)


async def _client(url: str, token: str, topic: str, recorder: Recorder, ready: asyncio.Queue) -> None:
    async with websockets.connect(url, open_timeout=60, max_queue=None) as socket:
        await socket.send(json.dumps({"type": "auth", "token": token}))
        assert json.loads(await socket.recv())["type"] == "ready"
        await socket.send(json.dumps({"type": "subscribe", "topic": topic}))
        assert json.loads(await socket.recv())["type"] == "subscribed"
        await ready.put(True)
        async for raw in socket:
            received = time.time()
            frame = json.loads(raw)
            if frame.get("type") != "event":
                continue
            data = frame["data"]
            if frame["event"] == "bench.baseline":
                recorder.arrived(("baseline", data["round"]), received - data["sent_at"])
            elif frame["event"] == "ticket.updated":
                ticket = data["ticket"]
                round_no = int(ticket["title"].rsplit(" ", 1)[1])
                recorder.rest_received[round_no].append(received)
                recorder.arrived(("rest", round_no), received - _timestamp(ticket["updated_at"]))


async def observe_commits(layer, topic: str, recorder: Recorder) -> None:
    """A bare layer channel in the ticket's group: notes when each REST round's event was published,
    which the server does right after the commit (transaction.on_commit)."""
    channel = await layer.new_channel()
    await layer.group_add(topic.replace(":", "."), channel)
    while True:
        try:
            message = await layer.receive(channel)
        except Exception as exc:  # RedisChannelLayer's reads time out under load; keep observing
            print(f"  observer: {type(exc).__name__}: {exc}", flush=True)
            continue
        arrived = time.time()
        if message.get("event") == "ticket.updated":
            title = json.loads(message["frame"])["data"]["ticket"]["title"]
            recorder.published[int(title.rsplit(" ", 1)[1])] = arrived


def channel_layer(kind: str, prefix: str):
    from channels_redis.core import RedisChannelLayer
    from channels_redis.pubsub import RedisPubSubChannelLayer

    cls = RedisPubSubChannelLayer if kind == "pubsub" else RedisChannelLayer
    return cls(hosts=[redis_url()], prefix=prefix)


def summarize(recorder: Recorder, path: str, rounds: int) -> dict:
    latencies = sorted(ms * 1000 for r in range(rounds) for ms in recorder.latencies[(path, r)])
    expected = recorder.expected * rounds

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, round(p / 100 * (len(latencies) - 1)))] if latencies else float("nan")

    return {
        "delivered": len(latencies),
        "expected": expected,
        "p50": pct(50),
        "p99": pct(99),
        "max": latencies[-1] if latencies else float("nan"),
        "mean": statistics.fmean(latencies) if latencies else float("nan"),
    }


async def measure(live, people: dict, kind: str, clients: int, rounds: int) -> dict:
    ticket_id = people["tickets"]["hot"]
    topic = f"ticket:{ticket_id}"
    recorder = Recorder()
    recorder.expected = clients
    ready: asyncio.Queue = asyncio.Queue()
    tokens = [people["users"][f"agent{n}"]["token"] for n in range(clients)]
    tasks = []
    started = time.perf_counter()
    for batch_start in range(0, clients, CONNECT_BATCH):
        tasks.extend(
            asyncio.create_task(client(live.ws_url(n % 2), tokens[n], topic, recorder, ready))
            for n in range(batch_start, min(clients, batch_start + CONNECT_BATCH))
        )
        while ready.qsize() < min(clients, batch_start + CONNECT_BATCH):
            await asyncio.sleep(0.05)
    connect_s = time.perf_counter() - started
    print(
        f"  {clients - len(recorder.dropped)} of {clients} clients connected, authenticated and subscribed "
        f"in {connect_s:.1f}s",
        flush=True,
    )
    await asyncio.sleep(1)

    layer = channel_layer(kind, live.env["CHANNEL_LAYER_PREFIX"])
    for round_no in range(rounds):
        sent_at = time.time()
        data = {"round": round_no, "sent_at": sent_at}
        frame = json.dumps({"type": "event", "topic": topic, "event": "bench.baseline", "data": data})
        await layer.group_send(
            topic.replace(":", "."),
            {"type": "hd.event", "topic": topic, "event": "bench.baseline", "audience": None, "frame": frame},
        )
        await recorder.wait(("baseline", round_no))
        await asyncio.sleep(0.1)

    observer = asyncio.create_task(observe_commits(layer, topic, recorder))
    await asyncio.sleep(0.5)
    rest_ms = []
    headers = {"Authorization": f"Bearer {people['users']['driver']['token']}"}
    async with httpx.AsyncClient(base_url=f"{live.urls[0]}/api/v1", headers=headers, timeout=30) as api:
        version = (await api.get(f"/tickets/{ticket_id}")).json()["version"]
        for round_no in range(rounds):
            request_started = time.perf_counter()
            response = await api.patch(
                f"/tickets/{ticket_id}", json={"title": f"Hot ticket {round_no}", "version": version}
            )
            rest_ms.append((time.perf_counter() - request_started) * 1000)
            response.raise_for_status()
            version = response.json()["version"]
            await recorder.wait(("rest", round_no))
            await asyncio.sleep(0.1)

    for task in [*tasks, observer]:
        task.cancel()
    await asyncio.gather(*tasks, observer, return_exceptions=True)
    for round_no, received in recorder.rest_received.items():
        if round_no in recorder.published:
            recorder.latencies[("commit", round_no)] = [at - recorder.published[round_no] for at in received]
    for reason, count in Counter(recorder.dropped).most_common():
        print(f"  dropped: {count} × {reason}", flush=True)
    return {
        "dropped": len(recorder.dropped),
        "connect_s": connect_s,
        "baseline": summarize(recorder, "baseline", rounds),
        "rest": summarize(recorder, "rest", rounds),
        "commit": summarize(recorder, "commit", rounds),
        "rest_response_p50": statistics.median(rest_ms),
    }


def run_layer(kind: str, args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"fanout-{kind}-"))
    spec = {
        "teams": ["Bench"],
        "users": [{"key": "owner", "role": "requester"}, {"key": "driver", "role": "admin"}],
        "bulk_users": {"prefix": "agent", "count": args.clients, "role": "agent", "teams": ["Bench"]},
        "tickets": [{"key": "hot", "requester": "owner", "team": "Bench", "title": "Hot ticket"}],
    }
    env = {
        "CHANNEL_LAYER_REDIS_KIND": kind,
        "LOG_LEVEL": "WARNING",
        # uvicorn reads its options from UVICORN_* variables too.
        "UVICORN_WS_PER_MESSAGE_DEFLATE": "false" if args.no_deflate else "true",
    }
    with (
        scratch_database(workdir, postgres_url=args.database_url) as database_url,
        cluster(workdir, database_url=database_url, env=env) as live,
    ):
        people = live.seed(spec)
        print(f"[{kind}] servers {live.urls}, database {database_url.split('@')[-1]}", flush=True)
        return asyncio.run(measure(live, people, kind, args.clients, args.rounds))


def print_table(results: dict, args) -> None:
    print()
    print(
        f"{args.clients} clients over 2 processes, {args.rounds} rounds per path, one ticket, "
        f"permessage-deflate {'off' if args.no_deflate else 'on'}"
    )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load} at the end (other work on it counts too)")
    print()
    print("| layer | path | delivered / expected | p50 ms | p99 ms | max ms | REST response p50 ms | sockets dropped |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, result in results.items():
        for path, label in (
            ("baseline", "bare group_send → socket"),
            ("commit", "REST PATCH: commit → socket"),
            ("rest", "REST PATCH: updated_at → socket"),
        ):
            row = result[path]
            share = 100 * row["delivered"] / row["expected"] if row["expected"] else 0
            response = f"{result['rest_response_p50']:.1f}" if path != "baseline" else ""
            print(
                f"| {LAYER_CLASSES[kind].rsplit('.', 1)[1]} | {label} | {row['delivered']} / {row['expected']} "
                f"({share:.1f} %) | {row['p50']:.1f} | {row['p99']:.1f} | {row['max']:.1f} | {response} "
                f"| {result['dropped']} |"
            )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--layers", default="pubsub,lists", help="comma list of: pubsub, lists")
    parser.add_argument(
        "--no-deflate", action="store_true", help="serve without permessage-deflate (no zlib per message and recipient)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", ""),
        help="a PostgreSQL URL to create the scratch database on (default: SQLite)",
    )
    args = parser.parse_args()
    kinds = [kind.strip() for kind in args.layers.split(",") if kind.strip()]
    unknown = set(kinds) - set(LAYER_CLASSES)
    if unknown or not kinds:
        parser.error(f"unknown layer kind(s): {', '.join(sorted(unknown)) or '(none)'}")
    results = {kind: run_layer(kind, args) for kind in kinds}
    print_table(results, args)


if __name__ == "__main__":
    main()
