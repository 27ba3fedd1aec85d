"""Domain events: emitted by services, delivered to websocket groups only after the commit.

Envelope on the channel layer: {"type": "hd.event", "topic", "event", "audience", "frame"}.
`frame` is the client's JSON text, encoded once here rather than once per recipient: a busy
ticket has hundreds of sockets and the consumer only has to decide, not to serialize.
`audience` is never forwarded to clients: the consumer uses it to decide, per recipient,
whether they may see the event (same rules as REST visibility; see tickets.permissions).
"""

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

logger = logging.getLogger(__name__)

# Sent to `user:<id>` when that user's role, teams or active flag changed: their open sockets
# reload what they may see (see apps.accounts.services and apps.live.consumers).
ACCESS_CHANGED = "access.changed"


@dataclass(frozen=True)
class Audience:
    """Facts about the object an event concerns, enough to apply visibility without a query."""

    ticket_id: int | None = None
    team_id: int | None = None
    # People with a personal link to the ticket: requester, watchers, approvers.
    user_ids: tuple[int, ...] = field(default_factory=tuple)
    # Internal notes and their attachments: agents/admins only.
    staff_only: bool = False


def group_name(topic: str) -> str:
    """Channels group names allow only [a-zA-Z0-9-_.]: `ticket:42` → `ticket.42`."""
    return topic.replace(":", ".")


@dataclass(frozen=True)
class DomainEvent:
    """What a service announced, as every after-commit subscriber receives it.

    `data` is the JSON form clients get (datetimes as ISO strings), frozen when the service emitted
    it; `audience` is `asdict(Audience)` or None (no ticket: e.g. access.changed).
    """

    name: str
    data: dict
    topics: tuple[str, ...]
    audience: dict | None


EventSubscriber = Callable[[DomainEvent], None]
_subscribers: list[EventSubscriber] = []
_in_transaction: list[EventSubscriber] = []


def subscribe(handler: EventSubscriber) -> EventSubscriber:
    """Registers `handler` to run after the commit of every transaction that emitted an event.

    The extension point for apps above the domain (notifications, SLA, ...): they react to what
    services announce instead of services calling them. Register in `AppConfig.ready()`. A handler
    runs in the emitting process right after the commit, outside any transaction; it must be quick
    (enqueue a task for slow work) and its exceptions are logged, never raised into the request.
    Returns the handler, so it can be used as a decorator.
    """
    if handler not in _subscribers:
        _subscribers.append(handler)
    return handler


def subscribe_in_transaction(handler: EventSubscriber) -> EventSubscriber:
    """Registers `handler` to run when a service emits an event, inside the service's transaction.

    For durable follow-ups that must commit or roll back with the change itself — typically a job
    row enqueued with the database task backend — so that a process dying between the commit and
    the after-commit subscribers loses nothing (the job runs later and catches up). Keep it to such
    writes: it runs on the request's path, and an exception it raises rolls the change back.
    Register in `AppConfig.ready()`; returns the handler.
    """
    if handler not in _in_transaction:
        _in_transaction.append(handler)
    return handler


def broadcast_on_commit(event: str, data: dict, *, topics: Iterable[str], audience: Audience | None = None) -> None:
    """Announce `event` to `topics` once the surrounding transaction commits (never if it rolls back).

    The payload is encoded now, while the caller's objects are at hand: a later change in the same
    transaction must not leak into an event describing this moment. The websocket layer gets the
    encoded frames; every subscriber (see `subscribe`) gets the same moment as a DomainEvent.
    """
    topics = list(dict.fromkeys(topics))
    frames = {topic: encode_frame(topic, event, data) for topic in topics}
    audience_facts = asdict(audience) if audience else None
    if not _subscribers and not _in_transaction:
        transaction.on_commit(lambda: send_now(event, frames, audience_facts))
        return
    domain_event = DomainEvent(
        name=event,
        data=json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
        topics=tuple(topics),
        audience=audience_facts,
    )
    for handler in _in_transaction:
        handler(domain_event)

    def deliver() -> None:
        send_now(event, frames, audience_facts)
        notify_subscribers(domain_event)

    transaction.on_commit(deliver)


def broadcast_each_on_commit(
    event: str, payloads: Iterable[tuple[str, dict]], *, audience: Audience | None = None
) -> None:
    """Like broadcast_on_commit, for one event with its own data per topic (one payload per topic):
    e.g. each recipient's own notification on `user:<id>`. After the commit, all frames go to the
    channel layer in one batch — one event loop hop for two hundred recipients, not two hundred —
    and every subscriber gets one DomainEvent per payload."""
    payloads = [(topic, data) for topic, data in payloads]
    if not payloads:
        return
    frames = {topic: encode_frame(topic, event, data) for topic, data in payloads}
    audience_facts = asdict(audience) if audience else None
    domain_events = [
        DomainEvent(
            name=event,
            data=json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
            topics=(topic,),
            audience=audience_facts,
        )
        for topic, data in payloads
        if _subscribers
    ]

    def deliver() -> None:
        send_now(event, frames, audience_facts)
        for domain_event in domain_events:
            notify_subscribers(domain_event)

    transaction.on_commit(deliver)


def notify_subscribers(domain_event: DomainEvent) -> None:
    for handler in _subscribers:
        try:
            handler(domain_event)
        except Exception:
            # The change is committed; one subscriber's failure must not fail the request or the others.
            logger.exception("subscriber %s failed on %s", getattr(handler, "__qualname__", handler), domain_event.name)


def encode_frame(topic: str, event: str, data: dict) -> str:
    return json.dumps({"type": "event", "topic": topic, "event": event, "data": data}, cls=DjangoJSONEncoder)


def send_now(event: str, frames: dict[str, str], audience: dict | None) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(_send_all)(layer, event, frames, audience)
    except Exception:
        # The change is committed; a lost live update must not turn the request into a 500.
        logger.exception("event %s could not be delivered to %s", event, list(frames))


async def _send_all(layer, event: str, frames: dict[str, str], audience: dict | None) -> None:
    for topic, frame in frames.items():
        message = {"type": "hd.event", "topic": topic, "event": event, "audience": audience, "frame": frame}
        await layer.group_send(group_name(topic), message)
