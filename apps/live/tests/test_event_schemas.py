"""The websocket's event schemas: in the OpenAPI document, consistent with the REST components,
and enforced on what services broadcast (conftest.py checks every payload of every test)."""

import jsonschema
import pytest
from django.db import transaction

from apps.core import events
from apps.core.testing.event_payloads import UndeclaredEvent, check_event_payload
from apps.live.schemas import EVENTS, openapi_components
from apps.tickets import services as tickets
from project.api import HelpdeskAPI, api


def test_every_event_frame_is_an_openapi_component_of_the_live_event_union():
    components = api.get_openapi_schema()["components"]["schemas"]
    union = components["LiveEvent"]
    refs = {choice["$ref"].rsplit("/", 1)[1] for choice in union["oneOf"]}
    assert refs == {frame for _, _, frame in EVENTS}
    mapping = union["discriminator"]["mapping"]
    for names, data, frame in EVENTS:
        assert components[frame]["properties"]["data"] == {"$ref": f"#/components/schemas/{data.__name__}"}
        for name in names:
            assert mapping[name] == f"#/components/schemas/{frame}"


def test_components_shared_with_rest_are_the_same_schema():
    """TicketListItem, CommentOut, ... appear once: the event's copy equals what REST documents."""
    rest = super(HelpdeskAPI, api).get_openapi_schema()["components"]["schemas"]  # ninja's own, no events
    shared = set(openapi_components()) & set(rest)
    assert {"TicketListItem", "CommentOut", "AttachmentOut", "NotificationOut", "UserOut"} <= shared
    for name in shared:
        assert openapi_components()[name] == rest[name], name


def test_event_names_are_declared_once():
    names = [name for declared, _, _ in EVENTS for name in declared]
    assert len(names) == len(set(names))


def test_the_check_refuses_an_undeclared_event_and_a_payload_off_its_schema():
    with pytest.raises(UndeclaredEvent):
        check_event_payload("ticket.exploded", {})
    with pytest.raises(jsonschema.ValidationError, match="'user_id' is a required property"):
        check_event_payload("access.changed", {})
    with pytest.raises(jsonschema.ValidationError):
        check_event_payload("notification.read", {"ids": ["1"], "unread_count": 0})
    check_event_payload("notification.read", {"ids": [1, 2], "unread_count": 0})


@pytest.mark.django_db
def test_a_service_broadcasting_an_off_schema_payload_fails(requester):
    """The suite-wide check is on: a service whose payload drifted from its schema raises."""
    with transaction.atomic(), pytest.raises(UndeclaredEvent):
        events.broadcast_on_commit("ticket.exploded", {"ticket": 1}, topics=["tickets"])
    ticket = tickets.ticket_create(actor=requester, title="Printer on fire")
    with transaction.atomic(), pytest.raises(jsonschema.ValidationError):
        events.broadcast_on_commit(
            "ticket.updated", {"ticket": {"id": ticket.pk}, "actor_id": None}, topics=["tickets"]
        )
