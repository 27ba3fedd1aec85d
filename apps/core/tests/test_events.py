"""broadcast_on_commit: after the commit, only after the commit, and never at the cost of the request."""

import asyncio
import json
import logging
from datetime import UTC, datetime

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from apps.accounts.models import Role
from apps.core.events import Audience, broadcast_on_commit
from apps.core.testing.factories import make_user
from apps.tickets import services as tickets

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture(autouse=True)
def transport_only(toy_event_payloads):
    """These tests exercise the transport with toy payloads; what services emit is checked against
    its schema everywhere else (conftest.py, apps/live/tests/test_event_schemas.py)."""


class Listener:
    """A channel in the `tickets` group of the in-memory layer."""

    def __init__(self):
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)("tickets", self.channel)

    def received(self) -> list[dict]:
        return async_to_sync(self._drain)()

    async def _drain(self) -> list[dict]:
        messages = []
        while True:
            try:
                messages.append(await asyncio.wait_for(self.layer.receive(self.channel), timeout=0.05))
            except TimeoutError:
                return messages


@pytest.fixture
def listener():
    return Listener()


def test_nothing_is_sent_before_the_commit_and_once_after(listener):
    with transaction.atomic():
        broadcast_on_commit("ticket.updated", {"n": 1}, topics=["tickets", "tickets"])
        assert listener.received() == []
    [message] = listener.received()
    assert message["type"] == "hd.event" and message["topic"] == "tickets" and message["event"] == "ticket.updated"
    assert json.loads(message["frame"]) == {
        "type": "event",
        "topic": "tickets",
        "event": "ticket.updated",
        "data": {"n": 1},
    }


def test_a_rolled_back_transaction_emits_nothing(listener):
    with pytest.raises(RuntimeError), transaction.atomic():
        broadcast_on_commit("ticket.updated", {"n": 1}, topics=["tickets"], audience=Audience(ticket_id=1))
        raise RuntimeError("the service failed after announcing")
    assert listener.received() == []


def test_a_rolled_back_service_call_emits_nothing(listener):
    rita = make_user(Role.REQUESTER)
    with pytest.raises(RuntimeError), transaction.atomic():
        tickets.ticket_create(actor=rita, title="Never happened")
        raise RuntimeError("an outer step failed")
    assert listener.received() == []

    tickets.ticket_create(actor=rita, title="Happened")
    assert [m["event"] for m in listener.received()] == ["ticket.created"]


def test_a_rolled_back_savepoint_drops_its_events_but_not_the_outer_ones(listener):
    with transaction.atomic():
        broadcast_on_commit("ticket.updated", {"kept": True}, topics=["tickets"])
        with pytest.raises(RuntimeError), transaction.atomic():
            broadcast_on_commit("ticket.updated", {"kept": False}, topics=["tickets"])
            raise RuntimeError
    assert [json.loads(m["frame"])["data"] for m in listener.received()] == [{"kept": True}]


def test_audience_travels_with_the_message(listener):
    audience = Audience(ticket_id=7, team_id=3, user_ids=(1, 2), staff_only=True)
    with transaction.atomic():
        broadcast_on_commit("comment.created", {}, topics=["tickets"], audience=audience)
    [message] = listener.received()
    assert message["audience"] == {"ticket_id": 7, "team_id": 3, "user_ids": (1, 2), "staff_only": True}
    assert "audience" not in json.loads(message["frame"])


def test_the_payload_is_taken_when_announced_not_when_sent(listener):
    data = {"title": "before"}
    with transaction.atomic():
        broadcast_on_commit("ticket.updated", data, topics=["tickets"])
        data["title"] = "mutated later in the same transaction"
    [message] = listener.received()
    assert json.loads(message["frame"])["data"] == {"title": "before"}


def test_a_broken_channel_layer_does_not_fail_the_committed_change(settings, caplog):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    rita = make_user(Role.REQUESTER)
    with caplog.at_level(logging.ERROR, logger="apps.core.events"):
        ticket = tickets.ticket_create(actor=rita, title="Still saved")
    assert ticket.pk is not None
    assert "could not be delivered" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_subscribers_get_the_event_after_commit_and_a_failing_one_harms_nobody():
    from apps.core import events

    seen: list[events.DomainEvent] = []

    def broken(event):
        raise RuntimeError("boom")

    events.subscribe(broken)
    events.subscribe(seen.append)
    try:
        with transaction.atomic():
            events.broadcast_on_commit(
                "thing.happened",
                {"at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)},
                topics=["ticket:1", "ticket:1", "tickets"],
                audience=events.Audience(ticket_id=1, user_ids=(7,)),
            )
            assert seen == []  # nothing before the commit
        with transaction.atomic():
            events.broadcast_on_commit("rolled.back", {}, topics=["tickets"])
            transaction.set_rollback(True)
    finally:
        events._subscribers.remove(broken)
        events._subscribers.remove(seen.append)
    assert [e.name for e in seen] == ["thing.happened"]
    assert seen[0].data == {"at": "2026-01-02T03:04:05Z"}
    assert seen[0].topics == ("ticket:1", "tickets")
    assert seen[0].audience["user_ids"] == (7,)


def test_broadcast_each_sends_each_topic_its_own_payload_after_commit_and_tells_subscribers():
    from apps.core.events import _subscribers, broadcast_each_on_commit, group_name

    layer = get_channel_layer()
    channels = {}
    for topic in ("user:1", "user:2"):
        channels[topic] = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(group_name(topic), channels[topic])
    seen = []
    _subscribers.append(seen.append)
    try:
        with transaction.atomic():
            broadcast_each_on_commit("notification.created", [("user:1", {"id": 10}), ("user:2", {"id": 20})])
            assert seen == []
    finally:
        _subscribers.remove(seen.append)

    async def take(channel):
        return await asyncio.wait_for(layer.receive(channel), timeout=1)

    for topic, expected in (("user:1", 10), ("user:2", 20)):
        message = async_to_sync(take)(channels[topic])
        assert json.loads(message["frame"]) == {
            "type": "event",
            "topic": topic,
            "event": "notification.created",
            "data": {"id": expected},
        }
    assert [(e.name, e.topics, e.data) for e in seen] == [
        ("notification.created", ("user:1",), {"id": 10}),
        ("notification.created", ("user:2",), {"id": 20}),
    ]
