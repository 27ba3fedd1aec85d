"""Websocket input the server can't use: every such frame gets an error frame and the socket stays
up (API.md "Input rules"); a token no verifier can read ends in an error frame and 4401, never a
crashed socket (1006/1011)."""

import json

import pytest

from apps.accounts.models import Role
from apps.core.testing.factories import make_user
from apps.core.testing.ws import ws_authenticated, ws_next, ws_open
from apps.live.consumers import MAX_FRAME_CHARS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def rita(db):
    return make_user(Role.REQUESTER)


DEEP = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 20_000 + "1" + "}" * 20_000

# (what is sent: text or bytes, the error code answered)
UNUSABLE_FRAMES = [
    ("{not json", "invalid_json"),
    ('{"type": "ping"', "invalid_json"),
    ("[" * 30_000 + "]" * 30_000, "invalid_json"),  # nested deeper than any parser should follow
    (DEEP_OBJECT[:MAX_FRAME_CHARS], "invalid_json"),
    (DEEP, "frame_too_large"),
    ('{"type": "ping", "pad": "' + "x" * MAX_FRAME_CHARS + '"}', "frame_too_large"),
    ("[]", "invalid_frame"),
    ('"auth"', "invalid_frame"),
    ("42", "invalid_frame"),
    ("null", "invalid_frame"),
    (b'{"type": "ping"}', "binary_frames_not_supported"),
    (b"\xff\xfe\x00", "binary_frames_not_supported"),
    ('{"type": ["ping"]}', "unknown_type"),
    ('{"type": {"auth": 1}}', "unknown_type"),
    ('{"type": 7}', "unknown_type"),
    ('{"type": "ping\\u0000"}', "unknown_type"),
    ('{"type": "\\ud800"}', "unknown_type"),
    ('{"type": "subscribe", "topic": 5}', "invalid_topic"),
    ('{"type": "subscribe", "topic": null}', "invalid_topic"),
    ('{"type": "subscribe", "topic": "ticket:1\\u0000"}', "invalid_topic"),
    ('{"type": "subscribe", "topic": "ticket:\\udc00"}', "invalid_topic"),
    ('{"type": "subscribe", "topic": "ticket:99999999999999999999999"}', "invalid_topic"),
    ('{"type": "subscribe", "topic": "ticket:0"}', "invalid_topic"),
    ('{"type": "unsubscribe", "topic": ["tickets"]}', "invalid_topic"),
]


async def _send(socket, data) -> None:
    if isinstance(data, bytes):
        await socket.send_to(bytes_data=data)
    else:
        await socket.send_to(text_data=data)


@pytest.mark.parametrize(("data", "code"), UNUSABLE_FRAMES, ids=range(len(UNUSABLE_FRAMES)))
async def test_an_unusable_frame_gets_an_error_and_the_socket_stays_up(rita, data, code):
    socket, _ = await ws_authenticated(rita)
    await _send(socket, data)
    answer = await ws_next(socket)
    assert answer["type"] == "error" and answer["code"] == code, answer
    await socket.send_json_to({"type": "ping"})
    assert await ws_next(socket) == {"type": "pong"}, "the socket must survive the frame"
    await socket.disconnect()


@pytest.mark.parametrize(
    "data",
    ["{not json", "[" * 30_000, "[]", b"\x00", "x" * (MAX_FRAME_CHARS + 1)],
    ids=["not-json", "deep", "not-object", "binary", "huge"],
)
async def test_unusable_frames_before_auth_leave_the_socket_waiting_for_auth(rita, data):
    socket = await ws_open()
    await _send(socket, data)
    assert (await ws_next(socket))["type"] == "error"
    await socket.send_json_to({"type": "auth", "token": _token_of(rita)})
    assert (await ws_next(socket))["type"] == "ready"
    await socket.disconnect()


def _token_of(user) -> str:
    from apps.core.testing.client import bearer_for

    return bearer_for(user)


BAD_TOKENS = [
    "\x00",
    "abc\x00def",
    "\ud800",
    "eyJhbGciOiJSUzI1NiJ9.\udfff.x",
    "hd_\x00_x",
    "hd_abc_\ud800",
    "a" * (MAX_FRAME_CHARS - 100),
    "....",
    "Bearer x",
]


@pytest.mark.parametrize("token", BAD_TOKENS, ids=range(len(BAD_TOKENS)))
async def test_a_token_nothing_can_read_is_refused_with_4401(rita, token):
    socket = await ws_open()
    await socket.send_to(text_data=json.dumps({"type": "auth", "token": token}))
    answer = await ws_next(socket)
    assert answer["type"] == "error" and isinstance(answer["code"], str), answer
    assert await ws_next(socket) == {"closed": 4401}


@pytest.mark.parametrize("token", [None, 5, ["x"], {"t": 1}, "", "   "])
async def test_a_token_of_the_wrong_type_is_refused_with_4401(rita, token):
    socket = await ws_open()
    await socket.send_json_to({"type": "auth", "token": token})
    assert await ws_next(socket) == {"type": "error", "code": "not_authenticated"}
    assert await ws_next(socket) == {"closed": 4401}


async def test_a_failure_inside_a_frame_handler_is_an_error_frame_not_a_dead_socket(rita, monkeypatch):
    from apps.live import sessions as live

    socket, _ = await ws_authenticated(rita)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(live, "may_follow_ticket", broken)
    await socket.send_json_to({"type": "subscribe", "topic": "ticket:1"})
    assert await ws_next(socket) == {"type": "error", "code": "internal_error"}
    await socket.send_json_to({"type": "ping"})
    assert await ws_next(socket) == {"type": "pong"}
    await socket.disconnect()
