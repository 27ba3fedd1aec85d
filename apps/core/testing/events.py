"""Listen on the real channel layer, the way the websocket consumer does, to see what was broadcast."""

import asyncio
import json

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from apps.core.events import group_name


class EventRecorder:
    def __init__(self, *topics: str):
        self.layer = get_channel_layer()
        self.topics = topics
        self.channel = async_to_sync(self._join)()

    async def _join(self) -> str:
        channel = await self.layer.new_channel("test.")
        for topic in self.topics:
            await self.layer.group_add(group_name(topic), channel)
        return channel

    async def _drain(self, wait: float) -> list[dict]:
        messages = []
        while True:
            try:
                message = await asyncio.wait_for(self.layer.receive(self.channel), timeout=wait)
            except asyncio.TimeoutError:
                return messages
            # What a client would receive, plus the audience the consumer filters on.
            frame = json.loads(message["frame"])
            audience = message.get("audience")
            if audience is not None:
                audience = {**audience, "user_ids": list(audience["user_ids"])}
            messages.append({"topic": message["topic"], "event": message["event"], "data": frame["data"],
                             "audience": audience})

    def drain(self, wait: float = 0.2) -> list[dict]:
        """Every message delivered so far, in order: {topic, event, data, audience}."""
        return async_to_sync(self._drain)(wait)

    def events(self, wait: float = 0.2) -> list[tuple[str, str]]:
        return [(m["topic"], m["event"]) for m in self.drain(wait)]
