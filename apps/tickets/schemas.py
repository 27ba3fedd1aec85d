import re
from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field, Strict, field_validator

from apps.accounts.schemas import TeamRef, UserOut
from apps.core.fields import DateTime, Id, InputSchema, Int, PatchSchema, Text
from apps.core.schemas import ReadSchema, related_list
from apps.tickets.models import Priority, Status, TicketType

PriorityName = Literal["low", "normal", "high", "urgent"]
StatusName = Literal[tuple(Status.values)]  # type: ignore[valid-type]
TypeName = Literal[tuple(TicketType.values)]  # type: ignore[valid-type]
Ordering = Literal[
    "created", "-created", "updated", "-updated", "priority", "-priority", "due", "-due", "sla_due", "-sla_due"
]
SlaFilter = Literal["breached", "at_risk"]

TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,49}$")
# What a client may send: a tag in any letter case, with surrounding blanks (both are normalised away).
TAG_INPUT_PATTERN = r"^[ \t\r\n]*[A-Za-z0-9][A-Za-z0-9_.-]{0,49}[ \t\r\n]*$"


def clean_tags(tags: list[str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        tag = tag.strip(" \t\r\n").lower()
        if not TAG_PATTERN.match(tag):
            raise ValueError(f"'{tag}' is not a valid tag (lowercase letters, digits, - _ ., up to 50)")
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned


TagIn = Annotated[str, Strict(), Field(pattern=TAG_INPUT_PATTERN)]  # the pattern excludes NUL


class SlaClockOut(ReadSchema):
    """One SLA clock as apps.sla stores it on the ticket (`Ticket.sla`, written only by apps.sla)."""

    due_at: datetime | None = Field(description="When the target is due (running, met or breached clocks)")
    state: Literal["running", "paused", "met", "breached"]
    breached_at: datetime | None
    warning_at: datetime | None = Field(None, description="When the warning threshold is (was) reached")
    stopped_at: datetime | None = Field(None, description="When the clock stopped (first response given, resolved)")
    remaining_minutes: float | None = Field(None, description="While paused: business minutes left")


class SlaOut(ReadSchema):
    policy: str
    first_response: SlaClockOut | None
    resolution: SlaClockOut | None


class TicketListItem(ReadSchema):
    id: int
    number: str = Field(validation_alias="key", description="Human key, e.g. HD-42")
    title: str
    status: StatusName
    priority: PriorityName = Field(validation_alias="priority_name")
    type: TypeName
    requester: UserOut
    assignee: UserOut | None
    team: TeamRef | None
    tags: list[str]
    due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    sla: SlaOut | None = Field(description="SLA clocks of the policy that applies, or null (docs/sla.md)")

    @field_validator("tags", mode="before")
    @classmethod
    def tag_names(cls, value):
        return [getattr(tag, "name", tag) for tag in related_list(value)]


class ApprovalSummary(ReadSchema):
    id: int
    state: str
    workflow: str
    current_step: int | None
    steps_total: int


class TicketPermissions(Schema):
    """What the caller may do to this ticket now, computed by the checks the endpoints enforce
    (apps/tickets/permissions.py): a flag is true exactly when the matching request is allowed."""

    edit: bool = Field(description="PATCH `title` and `description`")
    set_priority: bool = Field(description="PATCH `priority`")
    set_type: bool = Field(description="PATCH `type`")
    set_team: bool = Field(description="PATCH `team_id`")
    set_tags: bool = Field(description="PATCH `tags`")
    set_due: bool = Field(description="PATCH `due_at`")
    assign: bool = Field(description="POST /tickets/{id}/assign")
    transition_to: list[StatusName] = Field(description="Statuses POST /tickets/{id}/transition accepts now")
    comment: bool = Field(description="POST /tickets/{id}/comments")
    comment_internal: bool = Field(description='POST /tickets/{id}/comments with `"internal": true`')
    upload: bool = Field(description="POST /tickets/{id}/attachments")
    watch: bool = Field(description="POST and DELETE /tickets/{id}/watch")
    delete: bool = Field(description="DELETE /tickets/{id}")


class TicketDetail(TicketListItem):
    description: str
    watchers: list[UserOut]
    resolved_at: datetime | None
    closed_at: datetime | None
    allowed_transitions: list[StatusName] = Field(
        description="Statuses the caller may move this ticket to now (the same as `permissions.transition_to`)"
    )
    permissions: TicketPermissions = Field(description="What the caller may do to this ticket now")
    approval: ApprovalSummary | None = Field(None, description="The latest approval request, if any")

    @field_validator("watchers", mode="before")
    @classmethod
    def watcher_list(cls, value):
        return related_list(value)


class TicketPage(Schema):
    items: list[TicketListItem]
    next_cursor: str | None


class _TicketFields(InputSchema):
    description: Text = Field("", max_length=20000)
    priority: PriorityName = "normal"
    type: TypeName = "incident"
    team_id: Id | None = None
    tags: list[TagIn] = Field(default_factory=list, max_length=20)
    due_at: DateTime | None = None

    @field_validator("tags")
    @classmethod
    def normalise_tags(cls, tags: list[str]) -> list[str]:
        return clean_tags(tags)


class TicketCreateIn(_TicketFields):
    title: Text = Field(min_length=1, max_length=200)

    @field_validator("title")
    @classmethod
    def title_not_blank(cls, title: str) -> str:
        if not title.strip():
            raise ValueError("The title can't be blank.")
        return title.strip()


class TicketUpdateIn(PatchSchema):
    """Only the fields sent are changed. `version` is the one the client last saw (409 if stale).
    `team_id` and `due_at` may be null (no team, no due date); the other fields can't."""

    version: Int = Field(ge=1)
    title: Text = Field(None, min_length=1, max_length=200)
    description: Text = Field(None, max_length=20000)
    priority: PriorityName = None
    type: TypeName = None
    team_id: Id | None = None
    tags: list[TagIn] = Field(None, max_length=20)
    due_at: DateTime | None = None

    @field_validator("tags")
    @classmethod
    def normalise_tags(cls, tags: list[str]) -> list[str]:
        return clean_tags(tags)

    @field_validator("title")
    @classmethod
    def title_not_blank(cls, title: str) -> str:
        if not title.strip():
            raise ValueError("The title can't be blank.")
        return title.strip()


class TransitionIn(InputSchema):
    status: StatusName
    reason: Text = Field("", max_length=2000)


class AssignIn(InputSchema):
    assignee_id: Id | None = Field(description="An agent of the ticket's team, an admin, or null to unassign")


class TicketEventOut(ReadSchema):
    id: int
    kind: str
    actor: UserOut | None
    old: dict | list | str | int | None
    new: dict | list | str | int | None
    note: str
    created_at: datetime
    names: dict[str, str] = Field(
        default_factory=dict,
        description='Names of the people and teams `old`/`new` refer to by id: {"user:5": "Alan Agent", "team:2": "Facilities"}',
    )


class TicketEventPage(Schema):
    items: list[TicketEventOut]
    next_cursor: str | None


def priority_value(name: str) -> int:
    return Priority.from_name(name).value


# --- bulk changes (API.md "Bulk changes"; apps/tickets/bulk.py) -----------------------------------

BULK_MAX_IDS = 200
BulkAction = Literal["assign", "transition", "set_priority", "set_team", "add_tags", "remove_tags", "watch", "unwatch"]


class BulkParams(InputSchema):
    """The action's parameters; which ones each action takes is `apps.tickets.bulk.PARAMS`."""

    assignee_id: Id | None = Field(None, description="assign: an agent of the ticket's team, an admin, or null")
    status: StatusName | None = Field(None, description="transition: the status to move to")
    reason: Text = Field("", max_length=2000, description="transition: optional note for the activity log")
    priority: PriorityName | None = Field(None, description="set_priority")
    team_id: Id | None = Field(None, description="set_team: a team id, or null for the triage queue")
    tags: list[TagIn] | None = Field(None, min_length=1, max_length=20, description="add_tags / remove_tags")

    @field_validator("tags")
    @classmethod
    def normalise_tags(cls, tags: list[str] | None) -> list[str] | None:
        return None if tags is None else clean_tags(tags)


class BulkIn(InputSchema):
    ids: list[Id] = Field(
        min_length=1,
        max_length=BULK_MAX_IDS,
        description=f"Ticket ids, at most {BULK_MAX_IDS}; a repeated id is worked (and answered) once",
    )
    action: BulkAction
    params: BulkParams = Field(default_factory=BulkParams)


class BulkResultOut(Schema):
    id: int
    ok: bool
    code: str | None = Field(None, description="Why the row failed: the single endpoint's error code")
    message: str | None = None


class BulkOut(Schema):
    results: list[BulkResultOut] = Field(description="One row per distinct id, in the order sent")
