"""Strings that can't be a token are a 401 before any parsing, over REST and in the websocket's
auth frame alike (apps.accounts.auth.authenticate_bearer)."""

import logging

import pytest
from django.test import Client

from apps.accounts.auth import MAX_TOKEN_LENGTH, authenticate_bearer
from apps.accounts.models import User
from apps.core.errors import AuthenticationFailed
from apps.core.testing.plugin import fake_clerk
from apps.core.testing.ws import ws_next, ws_open

ME = "/api/v1/users/me"


def _valid() -> str:
    return fake_clerk.token("user_shapes", email="shapes@example.com")


NOT_TOKENS = {
    "nul": lambda: _valid()[:20] + "\x00" + _valid()[20:],
    "lone_surrogate": lambda: _valid() + "\ud800",
    "non_ascii": lambda: _valid().replace(".", "\u2024", 1),
    "non_ascii_letter": lambda: "hd_ab\u00e9cd_secret",
    "base64_padding": lambda: _valid() + "==",
    "inner_space": lambda: _valid()[:30] + " " + _valid()[30:],
    "newline": lambda: _valid() + "\n",
    "absurd_length": lambda: "a" * (MAX_TOKEN_LENGTH + 1),
    "megabyte": lambda: "eyJ" + "A" * 1_000_000 + ".e30.sig",
    "quote": lambda: '"' + _valid() + '"',
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", NOT_TOKENS)
def test_a_string_no_token_can_be_is_refused_before_parsing(kind, caplog):
    with caplog.at_level(logging.INFO, logger="apps.auth"), pytest.raises(AuthenticationFailed) as refused:
        authenticate_bearer(NOT_TOKENS[kind]())
    assert refused.value.status == 401 and refused.value.code == "invalid_token"
    assert any("not a token" in record.getMessage() for record in caplog.records)
    assert not User.objects.filter(clerk_id="user_shapes").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["non_ascii", "base64_padding", "absurd_length", "megabyte"])
def test_over_rest_it_is_the_401_error_body(kind):
    # NUL, surrogates and newlines can't travel in an HTTP header; these can.
    token = NOT_TOKENS[kind]()
    response = Client().get(ME, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_the_longest_allowed_token_is_verified_not_refused_for_its_length():
    token = _valid()
    assert len(token) < MAX_TOKEN_LENGTH
    user, exp = authenticate_bearer(token)
    assert user.clerk_id == "user_shapes" and exp > 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["nul", "lone_surrogate", "non_ascii", "absurd_length", "inner_space"])
async def test_the_websocket_auth_frame_refuses_them_with_4401(kind, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    socket = await ws_open()
    await socket.send_json_to({"type": "auth", "token": NOT_TOKENS[kind]()})
    assert await ws_next(socket) == {"type": "error", "code": "invalid_token"}
    assert await ws_next(socket) == {"closed": 4401}
