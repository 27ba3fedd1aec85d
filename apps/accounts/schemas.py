from datetime import datetime

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


class MeOut(UserOut):
    teams: list[TeamRef]
    is_staff: bool


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


class AccessChangedEvent(Schema):
    """access.changed, on `user:<id>`: the user's role, teams or active flag changed (reload what you may see)."""

    user_id: int
