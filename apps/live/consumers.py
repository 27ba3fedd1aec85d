"""`/ws/v1/events`: the protocol in API.md ("Websocket").

A socket starts anonymous and must send `{"type": "auth", "token"}` within
WS_AUTH_TIMEOUT_SECONDS. Once authenticated it follows `user:<own id>` and whatever it subscribes
to; each event arriving from the channel layer is forwarded only if the in-memory Viewer (role,
teams) passes the event's audience, so delivery costs no query per recipient. The Viewer is
reloaded when `access.changed` arrives on the user's own topic.
"""

import asyncio
import json
import logging
import time
from dataclasses import replace

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from apps.core.errors import DomainError
from apps.core.events import ACCESS_CHANGED, group_name
from apps.live import sessions
from apps.tickets.permissions import audience_allows

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
# Every frame of the protocol is a small JSON object (an auth frame with a Clerk token is ~1-2 KiB).
# Larger ones are answered with an error without being parsed. (uvicorn itself closes the socket
# with 1009 on frames above its --ws-max-size, 16 MiB by default, before they reach the app.)
MAX_FRAME_CHARS = 64 * 1024


class EventsConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.session: sessions.Session | None = None
        self.own_topic: str | None = None
        self.followed: set[str] = set()
        self.closing = False
        self.expiry_task: asyncio.Task | None = None
        self.auth_deadline_task = asyncio.create_task(self._close_unless_authenticated())
        await self.accept()

    async def disconnect(self, code):
        for task in (self.auth_deadline_task, self.expiry_task):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        for topic in self._groups():
            await self.channel_layer.group_discard(group_name(topic), self.channel_name)

    # --- frames from the client ---------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        """Any frame gets an answer and the socket survives it: a frame that can't be used is an
        error frame (before `auth`, a well-formed frame of another type closes with 4401)."""
        if self.closing:
            return
        frame, problem = _parse(text_data, bytes_data)
        if problem is not None:
            await self._send_error(problem)
            return
        try:
            await self._handle(frame)
        except Exception:
            # A bug must not take the socket (and its subscriptions) down with a 1011/1006.
            logger.exception("websocket frame failed")
            await self._send_error("internal_error")

    async def _handle(self, frame: dict) -> None:
        kind = frame.get("type")
        if kind == "auth":
            await self._authenticate(frame.get("token"))
        elif self.session is None:
            # Nothing but `auth` is understood before the socket knows who it serves.
            await self._refuse("not_authenticated")
        elif kind == "subscribe":
            await self._subscribe(frame.get("topic"))
        elif kind == "unsubscribe":
            await self._unsubscribe(frame.get("topic"))
        elif kind == "ping":
            await self._send({"type": "pong"})
        else:
            await self._send_error("unknown_type")

    async def _authenticate(self, token) -> None:
        if not isinstance(token, str) or not token.strip():
            await self._refuse("not_authenticated")
            return
        try:
            session = await database_sync_to_async(sessions.open_session)(token.strip())
        except DomainError as exc:
            await self._refuse(exc.code)
            return
        except Exception:
            # A token no verifier should choke on (NUL, lone surrogates, odd lengths) still must
            # end as a refusal the client understands, never as a crashed socket.
            logger.exception("websocket auth failed on an unexpected error")
            await self._refuse("invalid_token")
            return
        if self.session is not None and session.user.pk != self.session.user.pk:
            # The socket's subscriptions were checked for the first user; a refresh may not swap people.
            await self._refuse("user_mismatch")
            return
        first = self.session is None
        self.session = session
        self.auth_deadline_task.cancel()
        self._schedule_expiry(session.expires_at)
        if first:
            self.own_topic = f"user:{session.user.pk}"
            await self.channel_layer.group_add(group_name(self.own_topic), self.channel_name)
        await self._send({"type": "ready", "user": sessions.user_public(session.user)})

    async def _subscribe(self, topic) -> None:
        if not isinstance(topic, str):
            await self._send_error("invalid_topic")
            return
        if topic == self.own_topic or topic in self.followed:
            await self._send({"type": "subscribed", "topic": topic})
            return
        ticket_id = sessions.ticket_id_of(topic)
        if topic != sessions.LIST_TOPIC and ticket_id is None:
            await self._send_error("invalid_topic", topic=topic)
            return
        if len(self.followed) >= settings.WS_MAX_SUBSCRIPTIONS:
            await self._send_error("too_many_subscriptions", topic=topic)
            return
        if ticket_id is not None:
            visible = await database_sync_to_async(sessions.may_follow_ticket)(self.session.user, ticket_id)
            if not visible:
                await self._send_error("not_found", topic=topic)
                return
        self.followed.add(topic)
        await self.channel_layer.group_add(group_name(topic), self.channel_name)
        await self._send({"type": "subscribed", "topic": topic})

    async def _unsubscribe(self, topic) -> None:
        if not isinstance(topic, str) or topic == self.own_topic:
            await self._send_error("invalid_topic", topic=topic if isinstance(topic, str) else None)
            return
        if topic in self.followed:
            self.followed.discard(topic)
            await self.channel_layer.group_discard(group_name(topic), self.channel_name)
        await self._send({"type": "unsubscribed", "topic": topic})

    # --- messages from the channel layer ------------------------------------------------------

    async def dispatch(self, message):
        if message["type"] == "hd.event":
            # Channels' dispatch first closes stale database connections through a thread hop, one
            # per message. Events touch no database here (reloads go through
            # database_sync_to_async, which does that hygiene itself), and on a busy ticket that hop,
            # serialized on one thread for every recipient, was what bounded fan-out latency.
            await self.hd_event(message)
            return
        await super().dispatch(message)

    async def hd_event(self, message: dict) -> None:
        topic = message["topic"]
        if self.session is None or self.closing:
            return
        if topic == self.own_topic and message["event"] == ACCESS_CHANGED:
            await self._reload_access()
            if self.closing:
                return
        elif topic not in self.followed and topic != self.own_topic:
            return  # delivered while an unsubscribe was under way
        if audience_allows(self.session.viewer, message.get("audience")):
            await self.send(text_data=message["frame"])

    async def _reload_access(self) -> None:
        followed_tickets = {sessions.ticket_id_of(t): t for t in self.followed if sessions.ticket_id_of(t) is not None}
        snapshot = await database_sync_to_async(sessions.reload_access)(self.session, set(followed_tickets))
        if snapshot.user is None:
            await self._refuse(snapshot.refused)
            return
        self.session = replace(self.session, user=snapshot.user, viewer=snapshot.viewer)
        for ticket_id, topic in followed_tickets.items():
            if ticket_id not in snapshot.still_visible:
                self.followed.discard(topic)
                await self.channel_layer.group_discard(group_name(topic), self.channel_name)
                await self._send({"type": "unsubscribed", "topic": topic, "reason": "access_lost"})

    # --- timers -------------------------------------------------------------------------------

    async def _close_unless_authenticated(self) -> None:
        await asyncio.sleep(settings.WS_AUTH_TIMEOUT_SECONDS)
        if self.session is None:
            await self._refuse("auth_timeout")

    def _schedule_expiry(self, expires_at: float | None) -> None:
        if self.expiry_task is not None:
            self.expiry_task.cancel()
        self.expiry_task = asyncio.create_task(self._close_when_expired(expires_at)) if expires_at else None

    async def _close_when_expired(self, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        await self._refuse("token_expired")

    # --- sending ------------------------------------------------------------------------------

    def _groups(self) -> list[str]:
        return ([self.own_topic] if self.own_topic else []) + sorted(self.followed)

    async def _send(self, frame: dict) -> None:
        await self.send(text_data=json.dumps(frame))

    async def _send_error(self, code: str, *, topic: str | None = None) -> None:
        frame = {"type": "error", "code": code}
        if topic is not None:
            frame["topic"] = topic
        await self._send(frame)

    async def _refuse(self, code: str) -> None:
        """Tell the client why, then close with 4401 (the SPA signs in again on that code)."""
        if self.closing:
            return
        self.closing = True
        logger.info("websocket closed: %s", code)
        await self._send_error(code)
        await self.close(code=CLOSE_UNAUTHORIZED)


def _parse(text_data: str | None, bytes_data: bytes | None) -> tuple[dict, str | None]:
    """(frame, None) for a usable JSON object frame, else ({}, error code)."""
    if text_data is None:
        return {}, "binary_frames_not_supported"
    if len(text_data) > MAX_FRAME_CHARS:
        return {}, "frame_too_large"
    try:
        frame = json.loads(text_data)
    except (ValueError, RecursionError):
        return {}, "invalid_json"
    if not isinstance(frame, dict):
        return {}, "invalid_frame"
    return frame, None
