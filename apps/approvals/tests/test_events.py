"""Approval events over the real websocket: who hears what, and only after the commit."""

import pytest
from channels.db import database_sync_to_async

from apps.accounts.models import Role
from apps.approvals import services
from apps.approvals.tests.factories import make_delegation, make_workflow
from apps.core.testing.factories import make_user
from apps.core.testing.ws import ws_authenticated, ws_events, ws_subscribe
from apps.tickets.permissions import Viewer, audience_allows
from apps.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def approval_frames(frames):
    return [(f["topic"], f["event"]) for f in frames if f.get("event", "").startswith("approval.")]


async def test_step_opening_reaches_approvers_and_delegates_and_decisions_reach_the_requester(agent, requester, team):
    approver, stand_in, bystander = await database_sync_to_async(
        lambda: [make_user(Role.REQUESTER) for _ in range(3)]
    )()
    await database_sync_to_async(make_delegation)(approver, stand_in)
    workflow = await database_sync_to_async(make_workflow)({"users": [approver], "rule": "any"})
    ticket = await database_sync_to_async(make_ticket)(requester, team=team, status="open")

    sockets = {}
    for name, user in (
        ("approver", approver),
        ("stand_in", stand_in),
        ("bystander", bystander),
        ("requester", requester),
    ):
        sockets[name], _ = await ws_authenticated(user)
    assert (await ws_subscribe(sockets["requester"], f"ticket:{ticket.pk}"))["type"] == "subscribed"

    approval = await database_sync_to_async(services.approval_start)(
        actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk
    )
    assert approval_frames(await ws_events(sockets["approver"])) == [(f"user:{approver.pk}", "approval.requested")]
    assert approval_frames(await ws_events(sockets["stand_in"])) == [(f"user:{stand_in.pk}", "approval.requested")]
    assert approval_frames(await ws_events(sockets["bystander"])) == []
    await ws_events(sockets["requester"])

    await database_sync_to_async(services.approval_decide)(actor=approver, approval_id=approval.pk, decision="approve")
    frames = await ws_events(sockets["requester"])
    assert sorted(approval_frames(frames)) == [
        (f"ticket:{ticket.pk}", "approval.decided"),
        (f"user:{requester.pk}", "approval.decided"),
    ]
    decided = next(f for f in frames if f.get("event") == "approval.decided")
    assert decided["data"]["approval"]["state"] == "approved"
    assert decided["data"]["decision"]["decided_by_id"] == approver.pk
    for socket in sockets.values():
        await socket.disconnect()


def test_event_audience_lets_approvers_and_delegates_through(agent, requester, team, sent):
    approver, stand_in = make_user(), make_user()
    make_delegation(approver, stand_in)
    workflow = make_workflow({"users": [approver]})
    ticket = make_ticket(requester, team=team)
    services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
    [requested] = sent.of("approval.requested")
    audience = requested["audience"].__dict__
    for user in (approver, stand_in, requester, agent):
        assert audience_allows(Viewer.of(user), audience)
    assert not audience_allows(Viewer.of(make_user()), audience)


def test_approval_requested_names_who_opened_the_step(agent, requester, team, sent):
    first, second = make_user(), make_user()
    workflow = make_workflow({"users": [first]}, {"users": [second]})
    ticket = make_ticket(requester, team=team)
    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
    services.approval_decide(actor=first, approval_id=approval.pk, decision="approve")
    assert [e["data"]["actor_id"] for e in sent.of("approval.requested")] == [agent.pk, first.pk]
