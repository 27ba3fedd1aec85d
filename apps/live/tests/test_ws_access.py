"""Losing (or gaining) access while a socket is open: role, team membership, deactivation, and the
admin's save paths, which must announce those changes like the services do."""

import pytest
from channels.db import database_sync_to_async
from django.db import transaction
from django.test import Client

from apps.accounts import services as accounts
from apps.accounts.models import Role
from apps.core.events import broadcast_on_commit
from apps.core.testing.factories import make_team, make_user
from apps.core.testing.ws import ws_authenticated, ws_events, ws_next, ws_subscribe
from apps.tickets import services as tickets
from apps.tickets.broadcast import ticket_audience

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def world(db):
    desk = make_team("Service Desk")
    facilities = make_team("Facilities")
    rita = make_user(Role.REQUESTER)
    alan = make_user(Role.AGENT, teams=[desk])
    ada = make_user(Role.ADMIN, is_staff=True, is_superuser=True, username="ada-admin")
    ticket = tickets.ticket_create(actor=rita, title="VPN down", team_id=desk.pk)
    return {"desk": desk, "facilities": facilities, "rita": rita, "alan": alan, "ada": ada, "ticket": ticket}


transition = database_sync_to_async(tickets.ticket_transition)


def events_of(frames, name):
    return [f for f in frames if f.get("type") == "event" and f["event"] == name]


async def alan_following(world):
    socket, _ = await ws_authenticated(world["alan"])
    topic = f"ticket:{world['ticket'].pk}"
    assert (await ws_subscribe(socket, topic))["type"] == "subscribed"
    assert (await ws_subscribe(socket, "tickets"))["type"] == "subscribed"
    return socket, topic


async def assert_cut_off(socket, topic, world):
    """After losing access: the ticket topic is dropped with a reason, and nothing more arrives."""
    frames = await ws_events(socket)
    assert {"type": "unsubscribed", "topic": topic, "reason": "access_lost"} in frames
    assert events_of(frames, "access.changed"), frames
    await transition(actor=world["ada"], ticket_id=world["ticket"].pk, status="open")
    assert await ws_events(socket) == [], "no event of the ticket may reach a user who lost access"


async def test_removal_from_the_team_stops_delivery(world):
    socket, topic = await alan_following(world)
    await database_sync_to_async(accounts.team_member_remove)(team=world["desk"], user=world["alan"])
    await assert_cut_off(socket, topic, world)
    await socket.disconnect()


async def test_demotion_to_requester_stops_delivery(world):
    socket, topic = await alan_following(world)
    await database_sync_to_async(accounts.user_access_update)(user=world["alan"], role=Role.REQUESTER)
    await assert_cut_off(socket, topic, world)
    await socket.disconnect()


async def test_demoted_watcher_keeps_the_ticket_but_loses_internal_events(world):
    await database_sync_to_async(tickets.ticket_watch)(actor=world["alan"], ticket_id=world["ticket"].pk)
    socket, topic = await alan_following(world)
    await database_sync_to_async(accounts.user_access_update)(user=world["alan"], role=Role.REQUESTER)
    frames = await ws_events(socket)
    assert not [f for f in frames if f.get("type") == "unsubscribed"], "a watcher still sees the ticket"

    def internal_and_public_note():
        with transaction.atomic():
            audience = ticket_audience(world["ticket"], staff_only=True)
            broadcast_on_commit("comment.created", {"internal": True}, topics=[topic], audience=audience)
            audience = ticket_audience(world["ticket"])
            broadcast_on_commit("comment.created", {"internal": False}, topics=[topic], audience=audience)

    await database_sync_to_async(internal_and_public_note)()
    assert [f["data"] for f in await ws_events(socket)] == [{"internal": False}]
    await socket.disconnect()


async def test_joining_a_team_starts_delivery_of_its_tickets(world):
    socket, _ = await ws_authenticated(world["alan"])
    assert (await ws_subscribe(socket, "tickets"))["type"] == "subscribed"
    create = database_sync_to_async(tickets.ticket_create)
    await create(actor=world["rita"], title="Broken chair", team_id=world["facilities"].pk)
    assert events_of(await ws_events(socket), "ticket.created") == []

    await database_sync_to_async(accounts.team_member_add)(team=world["facilities"], user=world["alan"])
    assert events_of(await ws_events(socket), "access.changed")
    chair = await create(actor=world["rita"], title="Broken desk", team_id=world["facilities"].pk)
    [created] = events_of(await ws_events(socket), "ticket.created")
    assert created["data"]["ticket"]["id"] == chair.pk
    await socket.disconnect()


async def test_deactivated_user_is_disconnected(world):
    socket, _ = await ws_authenticated(world["alan"])
    await database_sync_to_async(accounts.user_access_update)(user=world["alan"], is_active=False)
    assert await ws_next(socket) == {"type": "error", "code": "account_disabled"}
    assert await ws_next(socket) == {"closed": 4401}


async def test_access_change_of_someone_else_changes_nothing_here(world):
    socket, topic = await alan_following(world)
    other = await database_sync_to_async(make_user)(Role.AGENT, teams=[world["desk"]])
    await database_sync_to_async(accounts.team_member_remove)(team=world["desk"], user=other)
    assert await ws_events(socket) == []
    await transition(actor=world["ada"], ticket_id=world["ticket"].pk, status="open")
    assert {f["topic"] for f in await ws_events(socket)} == {topic, "tickets"}
    await socket.disconnect()


# --- the admin's save paths -------------------------------------------------------------------


def admin_client(world) -> Client:
    client = Client()
    client.force_login(world["ada"])
    return client


async def test_admin_removing_a_member_cuts_off_their_socket(world):
    socket, topic = await alan_following(world)
    desk = world["desk"]

    def save_team_without_alan():
        response = admin_client(world).post(
            f"/admin/accounts/team/{desk.pk}/change/",
            {"name": desk.name, "description": "", "lead": "", "members": []},
        )
        assert response.status_code == 302, response.content[:2000]

    await database_sync_to_async(save_team_without_alan)()
    await assert_cut_off(socket, topic, world)
    await socket.disconnect()


async def test_admin_deleting_the_team_tells_its_members(world):
    # The team's tickets fall back to the triage queue, which every agent sees: the socket keeps
    # the ticket, but reloads its snapshot (the team is gone from it).
    socket, topic = await alan_following(world)
    desk = world["desk"]

    def delete_team():
        response = admin_client(world).post(f"/admin/accounts/team/{desk.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302, response.content[:2000]

    await database_sync_to_async(delete_team)()
    frames = await ws_events(socket)
    assert [f["event"] for f in frames] == ["access.changed"]
    await transition(actor=world["ada"], ticket_id=world["ticket"].pk, status="open")
    assert {f["topic"] for f in await ws_events(socket)} == {topic, "tickets"}
    await socket.disconnect()


async def test_admin_changing_the_role_cuts_off_the_socket(world):
    socket, topic = await alan_following(world)
    alan = world["alan"]

    def demote_in_admin():
        response = admin_client(world).post(
            f"/admin/accounts/user/{alan.pk}/change/",
            {
                "username": alan.username,
                "email": alan.email,
                "name": alan.name,
                "role": Role.REQUESTER,
                "clerk_id": alan.clerk_id,
                "is_active": "on",
                "date_joined_0": "2026-01-01",
                "date_joined_1": "00:00:00",
            },
        )
        assert response.status_code == 302, response.content[:3000]

    await database_sync_to_async(demote_in_admin)()
    await assert_cut_off(socket, topic, world)
    await alan.arefresh_from_db()
    assert alan.role == Role.REQUESTER
    await socket.disconnect()
