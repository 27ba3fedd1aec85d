"""The websocket protocol of API.md, driven in-process (WebsocketCommunicator, in-memory layer)."""

import time

import pytest
from channels.db import database_sync_to_async

from apps.accounts.models import Role
from apps.accounts.services import api_token_create
from apps.core.testing.client import bearer_for
from apps.core.testing.factories import make_team, make_user
from apps.core.testing.ws import ws_authenticated, ws_events, ws_next, ws_open, ws_silent, ws_subscribe
from apps.tickets import services as tickets

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def people(db):
    desk = make_team("Service Desk")
    other_team = make_team("Facilities")
    return {
        "rita": make_user(Role.REQUESTER),
        "rob": make_user(Role.REQUESTER),
        "alan": make_user(Role.AGENT, teams=[desk]),
        "fay": make_user(Role.AGENT, teams=[other_team]),
        "ada": make_user(Role.ADMIN),
        "desk": desk,
        "facilities": other_team,
    }


create_ticket = database_sync_to_async(tickets.ticket_create)
transition = database_sync_to_async(tickets.ticket_transition)


# --- authentication ---------------------------------------------------------------------------


async def test_ready_frame_names_the_user_and_ping_answers_pong(people):
    rita = people["rita"]
    socket, ready = await ws_authenticated(rita)
    assert ready == {
        "type": "ready",
        "user": {"id": rita.pk, "email": rita.email, "display_name": rita.display_name, "role": "requester"},
    }
    await socket.send_json_to({"type": "ping"})
    assert await ws_next(socket) == {"type": "pong"}
    await socket.disconnect()


async def test_no_auth_frame_closes_4401_after_the_timeout(settings):
    settings.WS_AUTH_TIMEOUT_SECONDS = 0.3
    socket = await ws_open()
    started = time.monotonic()
    assert await ws_next(socket) == {"type": "error", "code": "auth_timeout"}
    assert await ws_next(socket) == {"closed": 4401}
    assert 0.25 <= time.monotonic() - started < 3


async def test_socket_stays_open_while_the_auth_timeout_has_not_run_out(settings):
    settings.WS_AUTH_TIMEOUT_SECONDS = 1.5
    socket = await ws_open()
    assert await ws_silent(socket, 0.8)
    await socket.disconnect()


async def test_bad_token_closes_4401(people):
    socket = await ws_open()
    await socket.send_json_to({"type": "auth", "token": "not-a-jwt"})
    frame = await ws_next(socket)
    assert frame["type"] == "error"
    assert await ws_next(socket) == {"closed": 4401}


async def test_expired_token_is_refused_like_rest(people):
    socket = await ws_open()
    expired = bearer_for(people["rita"], exp=int(time.time()) - 60)
    await socket.send_json_to({"type": "auth", "token": expired})
    assert (await ws_next(socket))["type"] == "error"
    assert await ws_next(socket) == {"closed": 4401}


@pytest.mark.parametrize("first_frame", [{"type": "ping"}, {"type": "subscribe", "topic": "tickets"}, {"token": "x"}])
async def test_anything_but_auth_first_closes_4401(people, first_frame):
    socket = await ws_open()
    await socket.send_json_to(first_frame)
    assert await ws_next(socket) == {"type": "error", "code": "not_authenticated"}
    assert await ws_next(socket) == {"closed": 4401}


async def test_socket_whose_token_expires_unrefreshed_is_closed_4401(people):
    # Accepted thanks to the 5 s leeway REST grants too; it runs out about two seconds from now.
    socket, _ = await ws_authenticated(people["rita"], exp=int(time.time()) - 3)
    assert await ws_next(socket, timeout=8) == {"type": "error", "code": "token_expired"}
    assert await ws_next(socket) == {"closed": 4401}


async def test_refreshing_the_token_keeps_the_socket_open(people):
    rita = people["rita"]
    socket, _ = await ws_authenticated(rita, exp=int(time.time()) - 3)
    await socket.send_json_to({"type": "auth", "token": bearer_for(rita)})
    assert (await ws_next(socket))["type"] == "ready"
    assert await ws_silent(socket, 3), "the old token's expiry must no longer close the socket"
    await socket.send_json_to({"type": "ping"})
    assert await ws_next(socket) == {"type": "pong"}
    await socket.disconnect()


async def test_refresh_with_someone_elses_token_closes_4401(people):
    socket, _ = await ws_authenticated(people["rita"])
    await socket.send_json_to({"type": "auth", "token": bearer_for(people["rob"])})
    assert await ws_next(socket) == {"type": "error", "code": "user_mismatch"}
    assert await ws_next(socket) == {"closed": 4401}


async def test_personal_api_token_authenticates(people):
    rita = people["rita"]
    _, secret = await database_sync_to_async(api_token_create)(user=rita, name="script")
    socket, ready = await ws_authenticated(token=secret)
    assert ready["user"]["id"] == rita.pk
    ticket = await create_ticket(actor=rita, title="Printer on fire")
    assert await ws_subscribe(socket, f"ticket:{ticket.pk}") == {"type": "subscribed", "topic": f"ticket:{ticket.pk}"}
    await socket.disconnect()


async def test_revoked_api_token_is_refused(people):
    from apps.accounts.services import api_token_revoke

    token, secret = await database_sync_to_async(api_token_create)(user=people["rita"], name="script")
    await database_sync_to_async(api_token_revoke)(user=people["rita"], token_id=token.pk)
    socket = await ws_open()
    await socket.send_json_to({"type": "auth", "token": secret})
    assert await ws_next(socket) == {"type": "error", "code": "token_revoked"}
    assert await ws_next(socket) == {"closed": 4401}


# --- frames the server does not understand ---------------------------------------------------


async def test_malformed_frames_get_an_error_and_the_socket_survives(people):
    socket, _ = await ws_authenticated(people["rita"])
    await socket.send_to(text_data="{not json")
    assert await ws_next(socket) == {"type": "error", "code": "invalid_json"}
    await socket.send_json_to({"type": "dance"})
    assert await ws_next(socket) == {"type": "error", "code": "unknown_type"}
    await socket.send_json_to({"type": "subscribe", "topic": "ticket:abc"})
    assert await ws_next(socket) == {"type": "error", "code": "invalid_topic", "topic": "ticket:abc"}
    await socket.send_json_to({"type": "subscribe", "topic": ["tickets"]})
    assert await ws_next(socket) == {"type": "error", "code": "invalid_topic"}
    await socket.send_json_to({"type": "ping"})
    assert await ws_next(socket) == {"type": "pong"}
    await socket.disconnect()


async def test_cross_site_origin_is_refused_and_scripts_without_origin_are_let_in(people):
    from channels.testing import WebsocketCommunicator

    from project.asgi import application

    evil = WebsocketCommunicator(application, "/ws/v1/events", headers=[(b"origin", b"https://evil.example")])
    connected, _ = await evil.connect()
    assert not connected
    socket = await ws_open(origin=None)
    await socket.send_json_to({"type": "auth", "token": bearer_for(people["rita"])})
    assert (await ws_next(socket))["type"] == "ready"
    await socket.disconnect()


# --- subscriptions ----------------------------------------------------------------------------


async def test_subscribing_to_an_invisible_ticket_looks_exactly_like_a_missing_one(people):
    robs = await create_ticket(actor=people["rob"], title="Rob's laptop")
    socket, _ = await ws_authenticated(people["rita"])
    invisible = await ws_subscribe(socket, f"ticket:{robs.pk}")
    missing = await ws_subscribe(socket, "ticket:999999")
    assert invisible == {"type": "error", "code": "not_found", "topic": f"ticket:{robs.pk}"}
    assert missing == {"type": "error", "code": "not_found", "topic": "ticket:999999"}
    await ws_next_transition(robs, people["ada"])
    assert await ws_events(socket) == [], "a refused subscription must not deliver anything"
    await socket.disconnect()


async def ws_next_transition(ticket, actor):
    await transition(actor=actor, ticket_id=ticket.pk, status="open")


async def test_someone_elses_user_topic_is_not_a_topic(people):
    socket, _ = await ws_authenticated(people["rita"])
    other = f"user:{people['rob'].pk}"
    assert await ws_subscribe(socket, other) == {"type": "error", "code": "invalid_topic", "topic": other}
    own = f"user:{people['rita'].pk}"
    assert await ws_subscribe(socket, own) == {"type": "subscribed", "topic": own}
    await socket.disconnect()


async def test_ticket_events_reach_subscribers_after_commit_and_stop_after_unsubscribe(people):
    rita, ada = people["rita"], people["ada"]
    ticket = await create_ticket(actor=rita, title="VPN down", team_id=people["desk"].pk)
    socket, _ = await ws_authenticated(rita)
    topic = f"ticket:{ticket.pk}"
    assert await ws_subscribe(socket, topic) == {"type": "subscribed", "topic": topic}

    await transition(actor=ada, ticket_id=ticket.pk, status="open")
    frames = await ws_events(socket)
    # Rita, the requester, is also told on her own topic (the notifications app's notification.created).
    assert [(f["topic"], f["event"]) for f in frames if f["topic"] != topic] == [
        (f"user:{rita.pk}", "notification.created")
    ]
    [frame] = [f for f in frames if f["topic"] == topic]
    assert set(frame) == {"type", "topic", "event", "data"}, "audience facts must never reach clients"
    assert frame["type"] == "event" and frame["topic"] == topic and frame["event"] == "ticket.transitioned"
    assert frame["data"]["ticket"]["id"] == ticket.pk
    assert frame["data"]["ticket"]["status"] == "open"

    await socket.send_json_to({"type": "unsubscribe", "topic": topic})
    assert await ws_next(socket) == {"type": "unsubscribed", "topic": topic}
    await transition(actor=ada, ticket_id=ticket.pk, status="in_progress")
    assert [f for f in await ws_events(socket) if f["topic"] == topic] == []
    await socket.disconnect()


async def test_tickets_topic_carries_only_tickets_the_user_may_see(people):
    rita_socket, _ = await ws_authenticated(people["rita"])
    alan_socket, _ = await ws_authenticated(people["alan"])  # Service Desk agent
    fay_socket, _ = await ws_authenticated(people["fay"])  # Facilities agent
    for socket in (rita_socket, alan_socket, fay_socket):
        assert await ws_subscribe(socket, "tickets") == {"type": "subscribed", "topic": "tickets"}

    ritas = await create_ticket(actor=people["rita"], title="Mine", team_id=people["desk"].pk)
    robs = await create_ticket(actor=people["rob"], title="Rob's", team_id=people["desk"].pk)
    facilities = await create_ticket(actor=people["rob"], title="Broken chair", team_id=people["facilities"].pk)

    def created_ids(frames):
        return [f["data"]["ticket"]["id"] for f in frames if f["event"] == "ticket.created"]

    assert created_ids(await ws_events(rita_socket)) == [ritas.pk]
    assert created_ids(await ws_events(alan_socket)) == [ritas.pk, robs.pk]
    assert created_ids(await ws_events(fay_socket)) == [facilities.pk]
    for socket in (rita_socket, alan_socket, fay_socket):
        await socket.disconnect()


async def test_assignment_reaches_the_assignees_own_topic_without_subscribing(people):
    ticket = await create_ticket(actor=people["rita"], title="New laptop", team_id=people["desk"].pk)
    alan_socket, _ = await ws_authenticated(people["alan"])
    await database_sync_to_async(tickets.ticket_assign)(
        actor=people["ada"], ticket_id=ticket.pk, assignee_id=people["alan"].pk
    )
    frames = await ws_events(alan_socket)
    assert [(f["topic"], f["event"]) for f in frames] == [
        (f"user:{people['alan'].pk}", "ticket.assigned"),
        (f"user:{people['alan'].pk}", "notification.created"),
    ]
    await alan_socket.disconnect()


async def test_subscription_count_is_bounded(people, settings):
    settings.WS_MAX_SUBSCRIPTIONS = 2
    socket, _ = await ws_authenticated(people["ada"])
    ids = [(await create_ticket(actor=people["rita"], title=f"T{n}")).pk for n in range(3)]
    assert (await ws_subscribe(socket, f"ticket:{ids[0]}"))["type"] == "subscribed"
    assert (await ws_subscribe(socket, f"ticket:{ids[1]}"))["type"] == "subscribed"
    assert await ws_subscribe(socket, f"ticket:{ids[2]}") == {
        "type": "error",
        "code": "too_many_subscriptions",
        "topic": f"ticket:{ids[2]}",
    }
    await socket.disconnect()


async def test_socket_closes_when_its_api_token_expires(people):
    from datetime import timedelta

    from django.utils import timezone

    expires_at = timezone.now() + timedelta(seconds=3)
    _, secret = await database_sync_to_async(api_token_create)(user=people["rita"], name="short", expires_at=expires_at)
    socket, _ = await ws_authenticated(token=secret)
    assert await ws_next(socket, timeout=8) == {"type": "error", "code": "token_expired"}
    assert await ws_next(socket) == {"closed": 4401}


async def test_revoking_the_api_token_closes_the_socket_opened_with_it(people):
    from apps.accounts.services import api_token_revoke

    rita = people["rita"]
    token, secret = await database_sync_to_async(api_token_create)(user=rita, name="script")
    with_token, _ = await ws_authenticated(token=secret)
    with_session, _ = await ws_authenticated(rita)
    await database_sync_to_async(api_token_revoke)(user=rita, token_id=token.pk)
    assert await ws_next(with_token) == {"type": "error", "code": "token_revoked"}
    assert await ws_next(with_token) == {"closed": 4401}
    # The same user's Clerk session is not affected: it hears of the change and stays open.
    assert [f["event"] for f in await ws_events(with_session)] == ["access.changed"]
    await with_session.send_json_to({"type": "ping"})
    assert await ws_next(with_session) == {"type": "pong"}
    await with_session.disconnect()


async def test_delivering_an_event_to_many_sockets_touches_no_database(people, django_db_blocker):
    from channels.layers import get_channel_layer

    from apps.core.events import encode_frame

    sockets = []
    for user in [people["alan"], people["fay"], people["rita"], people["ada"]] * 5:
        socket, _ = await ws_authenticated(user)
        assert (await ws_subscribe(socket, "tickets"))["type"] == "subscribed"
        sockets.append(socket)
    desk = people["desk"].pk
    audience = {"ticket_id": 1, "team_id": desk, "user_ids": [people["rita"].pk], "staff_only": False}
    message = {
        "type": "hd.event",
        "topic": "tickets",
        "event": "ticket.updated",
        "audience": audience,
        "frame": encode_frame("tickets", "ticket.updated", {"ticket": {"id": 1}}),
    }
    with django_db_blocker.block():  # any query, in any thread, now raises
        await get_channel_layer().group_send("tickets", message)
        received = [len(await ws_events(socket)) for socket in sockets]
    # Alan (the team's agent), Rita (the requester) and Ada (admin) see it; Fay (other team) doesn't.
    assert received == [1, 0, 1, 1] * 5
    for socket in sockets:
        await socket.disconnect()
