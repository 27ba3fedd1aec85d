from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from apps.core.fields import DateTime, InputSchema, Text
from apps.core.schemas import ReadSchema


class UserOut(ReadSchema):
    id: int
    email: str
    name: str = Field(validation_alias="display_name")
    username: str
    role: str


class TeamRef(ReadSchema):
    id: int
    name: str


class MePermissions(Schema):
    """What the caller may do beyond single objects (those carry their own `permissions`), from the
    checks the endpoints enforce."""

    create_ticket_fields: list[Literal["title", "description", "priority", "type", "team_id", "tags", "due_at"]] = (
        Field(description="Fields the caller may set on POST /tickets (requesters: no tags, no due date)")
    )
    view_reports: bool = Field(description="GET /reports/dashboard")
    admin_site: bool = Field(description="May sign in to the Django admin at /admin/")


class MeOut(UserOut):
    teams: list[TeamRef]
    is_staff: bool
    permissions: MePermissions


class TeamOut(Schema):
    id: int
    name: str
    description: str
    lead: UserOut | None
    members: list[UserOut]


class ApiTokenIn(InputSchema):
    name: Text = Field(min_length=1, max_length=100)
    expires_at: DateTime | None = None


class ApiTokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreatedOut(ApiTokenOut):
    secret: str = Field(description="Shown only in this response; store it now.")
