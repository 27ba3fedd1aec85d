"""Driving `/ws/v1/events` in-process with Channels' WebsocketCommunicator.

Frames come back as dicts; a close comes back as {"closed": <code>} so a test can assert on the
sequence "error frame, then close 4401" in one place.
"""

import json

from channels.testing import WebsocketCommunicator

from apps.core.testing.client import bearer_for

PATH = "/ws/v1/events"
ORIGIN = b"http://localhost:5173"


async def ws_open(*, origin: bytes | None = ORIGIN) -> WebsocketCommunicator:
    from project.asgi import application

    headers = [(b"origin", origin)] if origin is not None else []
    communicator = WebsocketCommunicator(application, PATH, headers=headers)
    connected, _ = await communicator.connect()
    assert connected, "the handshake was refused"
    return communicator


async def ws_next(communicator: WebsocketCommunicator, timeout: float = 5) -> dict:
    """The next frame; a timeout here fails the test (and stops the application under test)."""
    output = await communicator.receive_output(timeout)
    if output["type"] == "websocket.close":
        return {"closed": output.get("code", 1000)}
    assert output["type"] == "websocket.send", output
    return json.loads(output["text"])


async def ws_silent(communicator: WebsocketCommunicator, timeout: float = 0.3) -> bool:
    return await communicator.receive_nothing(timeout)


async def ws_authenticated(user=None, *, token: str | None = None, **claims) -> tuple[WebsocketCommunicator, dict]:
    """An open socket past `auth`, and the `ready` frame it got."""
    communicator = await ws_open()
    await communicator.send_json_to({"type": "auth", "token": token or bearer_for(user, **claims)})
    ready = await ws_next(communicator)
    assert ready.get("type") == "ready", ready
    return communicator, ready


async def ws_subscribe(communicator: WebsocketCommunicator, topic: str) -> dict:
    await communicator.send_json_to({"type": "subscribe", "topic": topic})
    return await ws_next(communicator)


async def ws_events(communicator: WebsocketCommunicator, *, quiet: float = 0.3) -> list[dict]:
    """Every frame that arrives until the socket has been quiet for `quiet` seconds."""
    # receive_nothing, not a timed-out receive: the latter cancels the application under test.
    frames = []
    while not await communicator.receive_nothing(quiet):
        frames.append(await ws_next(communicator))
    return frames
