"""End to end across processes: two uvicorn servers on one database and the local Redis, real
websocket clients (`websockets`) on server B, REST changes on server A."""

import asyncio
import json
import os

import httpx
import pytest
import websockets
from django.conf import settings

from apps.core.testing.live_cluster import cluster, scratch_database
from apps.core.testing.plugin import fake_clerk

SPEC = {
    "teams": ["Service Desk"],
    "users": [
        {"key": "rita", "role": "requester"},
        {"key": "rob", "role": "requester"},
        {"key": "alan", "role": "agent", "teams": ["Service Desk"]},
        {"key": "ada", "role": "admin"},
    ],
    "tickets": [
        {"key": "vpn", "requester": "rita", "team": "Service Desk", "title": "VPN down"},
        {"key": "robs", "requester": "rob", "team": "Service Desk", "title": "Rob's laptop"},
    ],
}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("ws-e2e")
    postgres_url = os.environ.get("DATABASE_URL") if settings.IS_POSTGRES else None
    with (
        scratch_database(workdir, postgres_url=postgres_url) as database_url,
        cluster(workdir, database_url=database_url) as running,
    ):
        yield running, running.seed(SPEC)


class Client:
    """A websocket client of the real server: frames are kept, so tests can wait for one."""

    def __init__(self, connection):
        self.connection = connection

    @classmethod
    async def open(cls, url: str, token: str) -> "Client":
        client = cls(await websockets.connect(url, open_timeout=10))
        await client.send({"type": "auth", "token": token})
        ready = await client.next()
        assert ready["type"] == "ready", ready
        return client

    async def send(self, frame: dict) -> None:
        await self.connection.send(json.dumps(frame))

    async def next(self, timeout: float = 10) -> dict:
        return json.loads(await asyncio.wait_for(self.connection.recv(), timeout))

    async def subscribe(self, topic: str) -> dict:
        await self.send({"type": "subscribe", "topic": topic})
        return await self.next()

    async def until_event(self, event: str, timeout: float = 10) -> dict:
        while True:
            frame = await self.next(timeout)
            if frame.get("type") == "event" and frame["event"] == event:
                return frame

    async def events(self, quiet: float = 1.0) -> list[dict]:
        frames = []
        while True:
            try:
                frames.append(await self.next(quiet))
            except TimeoutError:
                return [f for f in frames if f.get("type") == "event"]

    async def close(self) -> None:
        await self.connection.close()


def rest(base_url: str, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"{base_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=15)


def token_of(people: dict, key: str) -> str:
    return people["users"][key]["token"]


async def test_rest_change_on_one_process_reaches_a_socket_on_the_other(live):
    running, people = live
    server_a, ws_b = running.urls[0], running.ws_url(1)
    ticket_id = people["tickets"]["vpn"]
    # A personal API token on one socket, a Clerk session token on the other.
    alan = await Client.open(ws_b, token_of(people, "alan"))
    rita = await Client.open(ws_b, fake_clerk.token(people["users"]["rita"]["clerk_id"]))
    for client in (alan, rita):
        assert await client.subscribe(f"ticket:{ticket_id}") == {"type": "subscribed", "topic": f"ticket:{ticket_id}"}

    async with rest(server_a, token_of(people, "alan")) as api:
        response = await api.post(f"/tickets/{ticket_id}/transition", json={"status": "open"})
    assert response.status_code == 200, response.text

    for client in (alan, rita):
        frame = await client.until_event("ticket.transitioned")
        assert frame["topic"] == f"ticket:{ticket_id}"
        assert frame["data"]["ticket"]["status"] == "open"
        assert set(frame) == {"type", "topic", "event", "data"}
        await client.close()


async def test_internal_comment_reaches_the_agent_but_never_the_requester(live):
    running, people = live
    server_a, ws_b = running.urls[0], running.ws_url(1)
    ticket_id = people["tickets"]["vpn"]
    topic = f"ticket:{ticket_id}"
    agent = await Client.open(ws_b, token_of(people, "alan"))
    requester = await Client.open(ws_b, token_of(people, "rita"))
    for client in (agent, requester):
        assert (await client.subscribe(topic))["type"] == "subscribed"
        assert (await client.subscribe("tickets"))["type"] == "subscribed"

    async with rest(server_a, token_of(people, "alan")) as api:
        internal = await api.post(
            f"/tickets/{ticket_id}/comments", json={"body": "Root cause: expired cert", "internal": True}
        )
        assert internal.status_code == 201, internal.text
        public = await api.post(f"/tickets/{ticket_id}/comments", json={"body": "We are on it."})
        assert public.status_code == 201, public.text

    def comment_ids(frames):
        return {(f["topic"], f["data"]["comment"]["id"]) for f in frames if f["event"] == "comment.created"}

    agent_saw = comment_ids(await agent.events())
    requester_saw = comment_ids(await requester.events())
    both_topics = {topic, "tickets"}
    assert agent_saw == {(t, c) for t in both_topics for c in (internal.json()["id"], public.json()["id"])}
    assert requester_saw == {(t, public.json()["id"]) for t in both_topics}
    for client in (agent, requester):
        await client.close()


async def test_invisible_ticket_is_refused_over_the_real_socket(live):
    running, people = live
    rita = await Client.open(running.ws_url(1), token_of(people, "rita"))
    robs = people["tickets"]["robs"]
    assert await rita.subscribe(f"ticket:{robs}") == {"type": "error", "code": "not_found", "topic": f"ticket:{robs}"}
    await rita.close()


async def test_ticket_moved_to_another_team_stops_reaching_the_old_teams_agent(live):
    running, people = live
    server_a, ws_b = running.urls[0], running.ws_url(1)
    extra = running.seed(
        {
            "teams": ["Service Desk", "Facilities"],
            "users": [{"key": "rose", "role": "requester"}],
            "tickets": [{"key": "desk", "requester": "rose", "team": "Service Desk"}],
        }
    )
    ticket_id = extra["tickets"]["desk"]
    alan = await Client.open(ws_b, token_of(people, "alan"))
    assert (await alan.subscribe(f"ticket:{ticket_id}"))["type"] == "subscribed"

    async with rest(server_a, token_of(people, "ada")) as admin_api:
        facilities = next(t["id"] for t in (await admin_api.get("/teams")).json() if t["name"] == "Facilities")
        version = (await admin_api.get(f"/tickets/{ticket_id}")).json()["version"]
        moved = await admin_api.patch(f"/tickets/{ticket_id}", json={"team_id": facilities, "version": version})
        assert moved.status_code == 200, moved.text
        again = await admin_api.post(f"/tickets/{ticket_id}/transition", json={"status": "open"})
        assert again.status_code == 200, again.text
    assert await alan.events() == [], "the Service Desk agent can no longer GET the ticket"
    await alan.close()


async def test_removal_from_the_team_in_a_third_process_cuts_off_the_socket(live):
    running, people = live
    server_a, ws_b = running.urls[0], running.ws_url(1)
    extra = running.seed(
        {
            "teams": ["Service Desk"],
            "users": [{"key": "fay", "role": "agent", "teams": ["Service Desk"]}, {"key": "ron", "role": "requester"}],
            "tickets": [{"key": "desk", "requester": "ron", "team": "Service Desk"}],
        }
    )
    ticket_id, fay = extra["tickets"]["desk"], extra["users"]["fay"]
    topic = f"ticket:{ticket_id}"
    socket = await Client.open(ws_b, fay["token"])
    assert (await socket.subscribe(topic))["type"] == "subscribed"

    # Like an admin action or a management command: a process that serves no sockets at all.
    running.seed({"team_member_remove": [{"team": "Service Desk", "user_id": fay["id"]}]})
    frames = [await socket.next(), await socket.next()]
    assert {"type": "unsubscribed", "topic": topic, "reason": "access_lost"} in frames
    assert any(f.get("event") == "access.changed" for f in frames)

    async with rest(server_a, token_of(people, "ada")) as admin_api:
        changed = await admin_api.post(f"/tickets/{ticket_id}/transition", json={"status": "open"})
        assert changed.status_code == 200, changed.text
    assert await socket.events() == []
    await socket.close()


def test_single_process_without_redis_delivers_through_the_in_memory_layer(tmp_path):
    """`make run`'s shape: one process, no REDIS_URL. Services run in Django's sync threads and must
    still reach sockets served by the event loop."""

    async def scenario(running, people):
        ticket_id = people["tickets"]["vpn"]
        rita = await Client.open(running.ws_url(0), token_of(people, "rita"))
        assert (await rita.subscribe(f"ticket:{ticket_id}"))["type"] == "subscribed"
        async with rest(running.urls[0], token_of(people, "alan")) as api:
            response = await api.post(f"/tickets/{ticket_id}/transition", json={"status": "open"})
            assert response.status_code == 200, response.text
        frame = await rita.until_event("ticket.transitioned")
        assert frame["data"]["ticket"]["status"] == "open"
        await rita.close()

    with cluster(
        tmp_path, database_url=f"sqlite:///{tmp_path / 'one.sqlite3'}", processes=1, env={"REDIS_URL": ""}
    ) as running:
        health = httpx.get(f"{running.urls[0]}/api/v1/health").json()
        assert health["checks"]["channel_layer"]["backend"] == "InMemoryChannelLayer"
        asyncio.run(scenario(running, running.seed(SPEC)))
