from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field, field_validator

from apps.accounts.schemas import TeamRef, UserOut
from apps.comments.schemas import BODY_MAX, CommentOut
from apps.core.fields import Bool, Id, InputSchema, Int, PatchSchema, Text
from apps.core.schemas import ReadSchema
from apps.tickets.schemas import PriorityName, StatusName, TicketDetail

VisibilityName = Literal["personal", "team", "global"]
AssignName = Literal["me", "nobody", "user"]

_BODY = "Markdown with placeholders such as {{ticket.number}} (GET /macros/placeholders lists them)"
_ASSIGN = "Assign on apply: me (whoever applies it), nobody (unassign), user (assign_user_id); null: no change"


class MacroPermissions(ReadSchema):
    change: bool = Field(description="The caller may edit this macro")
    delete: bool = Field(description="The caller may delete this macro")


class MacroOut(ReadSchema):
    id: int
    name: str
    body: str = Field(description="As written, placeholders unfilled")
    internal: bool = Field(description="Posts an internal note; never shown to requesters")
    visibility: VisibilityName
    team: TeamRef | None
    owner: UserOut
    set_status: StatusName | None = Field(description="Status to move the ticket to on apply, or null")
    set_priority: PriorityName | None = Field(validation_alias="priority_name")
    assign: AssignName | None = Field(description=_ASSIGN)
    assign_user: UserOut | None
    created_at: datetime
    updated_at: datetime
    version: int
    permissions: MacroPermissions

    @field_validator("set_status", "assign", mode="before")
    @classmethod
    def blank_is_none(cls, value):
        return value or None


class MacroPage(Schema):
    items: list[MacroOut]
    next_cursor: str | None


class MacroCreateIn(InputSchema):
    name: Text = Field(min_length=1, max_length=100)
    body: Text = Field(min_length=1, max_length=BODY_MAX, description=_BODY)
    internal: Bool = False
    visibility: VisibilityName = "personal"
    team_id: Id | None = Field(None, description="Required for (and only for) team macros")
    set_status: StatusName | None = None
    set_priority: PriorityName | None = None
    assign: AssignName | None = Field(None, description=_ASSIGN)
    assign_user_id: Id | None = None


class MacroUpdateIn(PatchSchema):
    version: Int = Field(description="The version you read; a stale one is 409 stale_version")
    name: Text = Field(None, min_length=1, max_length=100)
    body: Text = Field(None, min_length=1, max_length=BODY_MAX, description=_BODY)
    internal: Bool = None
    visibility: VisibilityName = None
    team_id: Id | None = None
    set_status: StatusName | None = None
    set_priority: PriorityName | None = None
    assign: AssignName | None = Field(None, description=_ASSIGN)
    assign_user_id: Id | None = None


class PlaceholderOut(Schema):
    name: str = Field(description="Write it as {{name}}")
    description: str
    example: str


class MacroPreviewOut(Schema):
    body: str = Field(description="The reply with placeholders filled for this ticket and caller")
    internal: bool
    actions: list[str] = Field(description="What applying will also do, in words, in order")


class MacroApplyIn(InputSchema):
    body: Text | None = Field(
        None,
        min_length=1,
        max_length=BODY_MAX,
        description="The reply as edited after a preview, posted as written; omit to post the filled macro body",
    )


class MacroApplyOut(Schema):
    comment: CommentOut
    ticket: TicketDetail
    actions: list[str] = Field(description="The actions made, in words")
