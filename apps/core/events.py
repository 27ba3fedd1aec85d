"""Domain events: emitted by services, delivered to websocket groups only after the commit.

Envelope on the channel layer: {"type": "hd.event", "topic", "event", "data", "audience"}.
`audience` is never forwarded to clients: the consumer uses it to decide, per recipient,
whether they may see the event (same rules as REST visibility; see tickets.permissions).
"""

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


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


def broadcast_on_commit(event: str, data: dict, *, topics: Iterable[str], audience: Audience | None = None) -> None:
    message = {
        "type": "hd.event",
        "event": event,
        "data": data,
        "audience": asdict(audience) if audience else None,
    }
    topics = list(dict.fromkeys(topics))
    transaction.on_commit(lambda: send_now(topics, message))


def send_now(topics: list[str], message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(_send_all)(layer, topics, message)
    except Exception:
        # The change is committed; a lost live update must not turn the request into a 500.
        logger.exception("event %s could not be delivered to %s", message.get("event"), topics)


async def _send_all(layer, topics: list[str], message: dict) -> None:
    for topic in topics:
        await layer.group_send(group_name(topic), {**message, "topic": topic})
