"""What comments announce, to whom: internal notes never reach requesters, mentions only readers."""

import pytest
from channels.db import database_sync_to_async

from apps.accounts.models import Role
from apps.comments import services
from apps.core.testing.events import EventRecorder
from apps.core.testing.factories import make_team, make_user
from apps.core.testing.ws import ws_authenticated, ws_events, ws_subscribe
from apps.tickets.models import Ticket
from apps.tickets.permissions import Viewer, audience_allows
from apps.tickets.services import ticket_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def ticket(requester, team):
    return ticket_create(actor=requester, title="Laptop won't boot", team_id=team.pk)


def recorded(topics, action):
    """Events delivered to `topics` while `action` runs (each service call commits: transactional tests)."""
    recorder = EventRecorder(*topics)
    action()
    return recorder.drain()


def test_comment_events_carry_the_rest_payload_and_audience(requester, agent, ticket):
    topic = f"ticket:{ticket.pk}"
    messages = recorded(
        [topic], lambda: services.comment_create(actor=requester, ticket_id=ticket.pk, body="<b>hi</b>")
    )
    created = [m for m in messages if m["event"] == "comment.created"]
    assert len(created) == 1
    comment = created[0]["data"]["comment"]
    assert comment["body"] == "<b>hi</b>" and comment["body_html"] == "<p>&lt;b&gt;hi&lt;/b&gt;</p>\n"
    assert comment["author"]["name"] == requester.display_name
    assert created[0]["audience"]["staff_only"] is False
    assert audience_allows(Viewer.of(requester), created[0]["audience"])

    comment_id = comment["id"]
    edits = recorded([topic], lambda: services.comment_update(actor=requester, comment_id=comment_id, body="hello"))
    assert [m["event"] for m in edits] == ["comment.updated"]
    deletes = recorded([topic], lambda: services.comment_delete(actor=requester, comment_id=comment_id))
    assert [m["event"] for m in deletes] == ["comment.deleted"]
    assert deletes[0]["data"]["comment"]["deleted"] is True and deletes[0]["data"]["comment"]["body"] == ""


def test_internal_note_events_are_staff_only(requester, agent, ticket):
    messages = recorded(
        [f"ticket:{ticket.pk}", "tickets"],
        lambda: services.comment_create(actor=agent, ticket_id=ticket.pk, body="secret", internal=True),
    )
    assert {m["event"] for m in messages} == {"comment.created"}
    for message in messages:
        assert message["audience"]["staff_only"] is True
        assert not audience_allows(Viewer.of(requester), message["audience"])
        assert audience_allows(Viewer.of(agent), message["audience"])


def test_mentioned_reader_watches_and_is_told(requester, agent, ticket):
    colleague = make_user(Role.AGENT, teams=[ticket.team], username="bea", email="bea@example.com")
    by_email = make_user(Role.AGENT, teams=[ticket.team], email="Carl@Example.com")
    messages = recorded(
        [f"user:{colleague.pk}", f"user:{by_email.pk}"],
        lambda: services.comment_create(
            actor=requester,
            ticket_id=ticket.pk,
            body="@Bea and @carl@example.com, please look. me@example.com is not one.",
        ),
    )
    mentions = {m["topic"]: m for m in messages if m["event"] == "mention"}
    assert set(mentions) == {f"user:{colleague.pk}", f"user:{by_email.pk}"}
    assert mentions[f"user:{colleague.pk}"]["data"]["ticket"]["number"] == ticket.key
    watchers = set(Ticket.objects.get(pk=ticket.pk).watchers.values_list("pk", flat=True))
    assert watchers == {colleague.pk, by_email.pk}


def test_mention_of_someone_who_cannot_see_the_ticket_sends_nothing(requester, agent, ticket):
    outsider = make_user(Role.REQUESTER, username="olga")
    other_team_agent = make_user(Role.AGENT, teams=[make_team("Facilities")], username="otto")
    messages = recorded(
        [f"user:{outsider.pk}", f"user:{other_team_agent.pk}"],
        lambda: services.comment_create(actor=agent, ticket_id=ticket.pk, body="ping @olga and @otto"),
    )
    assert messages == []
    assert not Ticket.objects.get(pk=ticket.pk).watchers.exists()


def test_requester_mentioned_in_an_internal_note_gets_nothing(requester, agent, ticket):
    other_requester = make_user(Role.REQUESTER, username="rob")
    ticket.watchers.add(other_requester)  # can see the ticket, but not internal notes
    messages = recorded(
        [f"user:{requester.pk}", f"user:{other_requester.pk}"],
        lambda: services.comment_create(
            actor=agent, ticket_id=ticket.pk, body="@rita @rob are difficult", internal=True
        ),
    )
    assert messages == []


def test_an_edit_tells_only_newly_mentioned_people(requester, agent, ticket):
    bea = make_user(Role.AGENT, teams=[ticket.team], username="bea")
    cid = services.comment_create(actor=requester, ticket_id=ticket.pk, body="hi @bea").pk
    messages = recorded(
        [f"user:{bea.pk}", f"user:{agent.pk}"],
        lambda: services.comment_update(actor=requester, comment_id=cid, body="hi @bea and @alan"),
    )
    # The mention, and the notification the notifications app derives from it.
    assert [(m["topic"], m["event"]) for m in messages] == [
        (f"user:{agent.pk}", "mention"),
        (f"user:{agent.pk}", "notification.created"),
    ]


async def test_requester_socket_never_receives_an_internal_note(requester, agent, ticket):
    """Through the real consumer: both follow the ticket, only the agent hears about the note."""
    requester_socket, _ = await ws_authenticated(requester)
    agent_socket, _ = await ws_authenticated(agent)
    topic = f"ticket:{ticket.pk}"
    for socket in (requester_socket, agent_socket):
        assert (await ws_subscribe(socket, topic))["type"] == "subscribed"

    create = database_sync_to_async(services.comment_create)
    await create(actor=agent, ticket_id=ticket.pk, body="internal: check warranty", internal=True)
    await create(actor=agent, ticket_id=ticket.pk, body="We'll replace it")

    def comment_bodies(frames):
        return [f["data"]["comment"]["body"] for f in frames if f.get("event") == "comment.created"]

    assert comment_bodies(await ws_events(requester_socket)) == ["We'll replace it"]
    assert comment_bodies(await ws_events(agent_socket)) == ["internal: check warranty", "We'll replace it"]
    for socket in (requester_socket, agent_socket):
        await socket.disconnect()
