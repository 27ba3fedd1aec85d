"""The websocket's event frames, typed: every event name with the schema of its `data`.

A frame is `{"type": "event", "topic", "event", "data"}` (API.md, "Websocket";
docs/live-updates.md). Each payload schema lives with the app that emits it; `EVENTS` names them
all, once. `openapi_components()` puts them into the OpenAPI document (project/api.py): `LiveEvent`
is the union of the frames, discriminated by `event`, so `npm run gen:api` gives the SPA their
TypeScript types and `make check-api` catches drift. In tests every broadcast is checked against
its schema (apps/core/testing/event_payloads.py, installed by conftest.py): an event missing here,
or a payload that doesn't match its schema, fails the test that emitted it.
"""

from functools import cache
from typing import Annotated, Literal, Union

from ninja import Schema
from ninja.openapi.schema import REF_TEMPLATE
from ninja.schema import NinjaGenerateJsonSchema
from pydantic import Field, RootModel, create_model

from apps.accounts.schemas import AccessChangedEvent
from apps.approvals.schemas import ApprovalCancelledEvent, ApprovalDecidedEvent, ApprovalRequestedEvent
from apps.attachments.schemas import AttachmentEvent
from apps.comments.schemas import CommentEvent, MentionEvent
from apps.notifications.schemas import NotificationOut, NotificationReadEvent
from apps.queues.schemas import ViewChangedEvent
from apps.sla.schemas import SlaClockEvent, SlaRecalculatedEvent
from apps.tickets.schemas import TicketChangedEvent, TicketDeletedEvent

# (event names, schema of their `data`, name of their frame's schema)
EVENTS: list[tuple[tuple[str, ...], type, str]] = [
    (
        ("ticket.created", "ticket.updated", "ticket.transitioned", "ticket.assigned", "ticket.sla_changed"),
        TicketChangedEvent,
        "TicketChangedFrame",
    ),
    (("ticket.deleted",), TicketDeletedEvent, "TicketDeletedFrame"),
    (("ticket.sla_warning", "ticket.sla_breached"), SlaClockEvent, "SlaClockFrame"),
    (("sla.recalculated",), SlaRecalculatedEvent, "SlaRecalculatedFrame"),
    (("comment.created", "comment.updated", "comment.deleted"), CommentEvent, "CommentFrame"),
    (("mention",), MentionEvent, "MentionFrame"),
    (("attachment.available", "attachment.deleted"), AttachmentEvent, "AttachmentFrame"),
    (("approval.requested",), ApprovalRequestedEvent, "ApprovalRequestedFrame"),
    (("approval.decided",), ApprovalDecidedEvent, "ApprovalDecidedFrame"),
    (("approval.cancelled",), ApprovalCancelledEvent, "ApprovalCancelledFrame"),
    (("notification.created",), NotificationOut, "NotificationCreatedFrame"),
    (("notification.read",), NotificationReadEvent, "NotificationReadFrame"),
    (("access.changed",), AccessChangedEvent, "AccessChangedFrame"),
    (("view.changed",), ViewChangedEvent, "ViewChangedFrame"),
]


def payload_schema(event: str) -> type | None:
    """The schema of `event`'s data, or None for a name no one declared."""
    return next((schema for names, schema, _ in EVENTS if event in names), None)


def _frame(names: tuple[str, ...], data: type, title: str) -> type[Schema]:
    return create_model(
        title,
        __base__=Schema,
        __doc__=f"A websocket push of {', '.join(names)}.",
        type=(Literal["event"], ...),
        topic=(str, Field(description="`tickets`, `ticket:<id>` or `user:<id>`")),
        event=(Literal[names], ...),
        data=(data, ...),
    )


class LiveEvent(RootModel):
    """Every server push of the websocket (`{"type": "event", ...}`), told apart by `event`."""

    root: Annotated[
        Union[tuple(_frame(names, data, title) for names, data, title in EVENTS)],  # noqa: UP007
        Field(discriminator="event"),
    ]


@cache
def openapi_components() -> dict[str, dict]:
    """`LiveEvent` and everything it refers to, as OpenAPI component schemas (serialization mode,
    like ninja's response schemas, so a shared component such as TicketListItem is identical)."""
    schema = LiveEvent.model_json_schema(
        ref_template=REF_TEMPLATE, by_alias=True, schema_generator=NinjaGenerateJsonSchema, mode="serialization"
    )
    components = schema.pop("$defs", {})
    components["LiveEvent"] = schema
    return components
