from datetime import datetime

from ninja import Schema
from pydantic import Field, model_validator

from apps.accounts.schemas import UserOut
from apps.core.fields import Bool, Cursor, Id, InputSchema, ParamBool, ParamInt
from apps.core.schemas import ReadSchema
from apps.notifications.kinds import Kind


class NotificationTicket(ReadSchema):
    id: int
    number: str = Field(validation_alias="key", description="Human key, e.g. HD-42")
    title: str


class NotificationOut(ReadSchema):
    id: int
    kind: Kind
    ticket: NotificationTicket | None
    actor: UserOut | None = Field(description="Who did it; null for the system (reminders, SLA)")
    message: str = Field(description="Plain text")
    created_at: datetime
    read_at: datetime | None


class NotificationQuery(Schema):
    unread: ParamBool = Field(False, description="Only unread notifications")
    cursor: Cursor | None = Field(None, description="`next_cursor` of the previous page")
    limit: ParamInt = Field(20, ge=1, le=100)


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one")
    unread_count: int = Field(description="All unread notifications, not only this page's")


class MarkReadIn(InputSchema):
    """Either `ids` (the caller's notifications; others' ids are ignored) or `"all": true`."""

    ids: list[Id] | None = Field(None, max_length=500)
    all: Bool = False

    @model_validator(mode="after")
    def one_of(self) -> "MarkReadIn":
        if bool(self.ids) == bool(self.all):
            raise ValueError("Send either a non-empty `ids` or `all: true`.")
        return self


class UnreadCountOut(Schema):
    unread_count: int


class Channels(Schema):
    in_app: bool
    email: bool


class ChannelsChange(InputSchema):
    in_app: Bool | None = None
    email: Bool | None = None


class NotificationSettingsOut(Schema):
    assigned: Channels
    mentioned: Channels
    comment_added: Channels
    status_changed: Channels
    approval_requested: Channels
    approval_reminder: Channels
    approval_decided: Channels
    sla_warning: Channels
    sla_breached: Channels


class NotificationSettingsIn(InputSchema):
    """Only the kinds sent change; within a kind, only the channels sent."""

    assigned: ChannelsChange | None = None
    mentioned: ChannelsChange | None = None
    comment_added: ChannelsChange | None = None
    status_changed: ChannelsChange | None = None
    approval_requested: ChannelsChange | None = None
    approval_reminder: ChannelsChange | None = None
    approval_decided: ChannelsChange | None = None
    sla_warning: ChannelsChange | None = None
    sla_breached: ChannelsChange | None = None


class UnsubscribeOut(Schema):
    kinds: list[Kind]
    topics: list[str] = Field(description="What the link stops, in words, per kind")
    email: str = Field(description="The address the link was sent to, partly hidden")
    used: bool = Field(description="The link was used already (each works once)")


class NotificationReadEvent(Schema):
    """notification.read, on `user:<id>`: these notifications were marked read (in another tab)."""

    ids: list[int]
    unread_count: int
