"""Applying a macro announces what the services announce, after commit; a refused apply nothing."""

import pytest

from apps.core.errors import Conflict
from apps.core.testing.events import EventRecorder
from apps.macros.services import macro_apply, macro_create
from apps.tickets.models import Ticket
from apps.tickets.services import ticket_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def test_apply_emits_each_services_event_and_a_refusal_none(requester, agent, team):
    fresh = ticket_create(actor=requester, title="VPN down", team_id=team.pk)
    closed = ticket_create(actor=requester, title="Old one", team_id=team.pk)
    Ticket.objects.filter(pk=closed.pk).update(status="closed")
    working = macro_create(actor=agent, name="Working", body="On it.", assign="me", set_status="open")
    recorder = EventRecorder(f"ticket:{fresh.pk}", f"ticket:{closed.pk}")

    # The assignment would pass, the reply too; the move closed → open is refused: none of it happens.
    with pytest.raises(Conflict, match="from closed to open"):
        macro_apply(actor=agent, ticket_id=closed.pk, macro_id=working.pk)
    macro_apply(actor=agent, ticket_id=fresh.pk, macro_id=working.pk)

    events = [(message["topic"], message["event"]) for message in recorder.drain()]
    topic = f"ticket:{fresh.pk}"
    assert events == [(topic, "comment.created"), (topic, "ticket.assigned"), (topic, "ticket.transitioned")]
