"""Listen on the real channel layer, the way the websocket consumer does, to see what was broadcast.

The recorder keeps one event loop running in a thread, like a server process would: Redis
layers bind their subscriptions to the loop that made them.
"""

import asyncio
import json
import threading
import time

from channels.layers import get_channel_layer

from apps.core.events import group_name


class EventRecorder:
    def __init__(self, *topics: str):
        self.layer = get_channel_layer()
        self.topics = topics
        self.received: list[dict] = []
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.channel = asyncio.run_coroutine_threadsafe(self._join(), self.loop).result(timeout=10)
        asyncio.run_coroutine_threadsafe(self._receive_forever(), self.loop)

    async def _join(self) -> str:
        channel = await self.layer.new_channel("test.")
        for topic in self.topics:
            await self.layer.group_add(group_name(topic), channel)
        return channel

    async def _receive_forever(self) -> None:
        while True:
            try:
                # Short waits: the in-memory layer's queue is woken only from its own loop's thread,
                # and services send from another one; polling picks such messages up.
                message = await asyncio.wait_for(self.layer.receive(self.channel), timeout=0.05)
            except TimeoutError:
                continue
            # What a client would receive, plus the audience the consumer filters on.
            audience = message.get("audience")
            if audience is not None:
                audience = {**audience, "user_ids": list(audience["user_ids"])}
            self.received.append(
                {
                    "topic": message["topic"],
                    "event": message["event"],
                    "data": json.loads(message["frame"])["data"],
                    "audience": audience,
                }
            )

    def drain(self, wait: float = 0.3) -> list[dict]:
        """Every message delivered so far (waiting until none arrived for `wait` seconds), in order."""
        seen = -1
        while seen != len(self.received):
            seen = len(self.received)
            time.sleep(wait)
        messages, self.received = self.received, []
        return messages

    def events(self, wait: float = 0.3) -> list[tuple[str, str]]:
        return [(m["topic"], m["event"]) for m in self.drain(wait)]
