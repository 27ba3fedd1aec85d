from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field, field_validator

from apps.accounts.schemas import TeamRef, UserOut
from apps.approvals.models import ApproverKind, Decision, RequestState, Rule, StepState
from apps.core.fields import Bool, Cursor, DateTime, Id, InputSchema, Int, ParamBool, ParamInt, PatchSchema, Text
from apps.tickets.schemas import TypeName

RuleName = Literal[tuple(Rule.values)]  # type: ignore[valid-type]
ApproverKindName = Literal[tuple(ApproverKind.values)]  # type: ignore[valid-type]
DecisionName = Literal[tuple(Decision.values)]  # type: ignore[valid-type]
RequestStateName = Literal[tuple(RequestState.values)]  # type: ignore[valid-type]
StepStateName = Literal[tuple(StepState.values)]  # type: ignore[valid-type]
RoleName = Literal["requester", "agent", "admin"]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("This can't be blank.")
    return value.strip()


# --- Workflows ------------------------------------------------------------------------------


class StepIn(InputSchema):
    """approver_kind decides which of approver_ids / team_id / role is used (team_lead needs none)."""

    name: Text = Field(min_length=1, max_length=120)
    approver_kind: ApproverKindName
    approver_ids: list[Id] = Field(default_factory=list, max_length=100)
    team_id: Id | None = None
    role: RoleName | Literal[""] = ""
    rule: RuleName = "all"
    quorum: Int | None = Field(None, ge=1, le=100)

    @field_validator("name")
    @classmethod
    def name_not_blank(cls, value: str) -> str:
        return _not_blank(value)


class WorkflowCreateIn(InputSchema):
    name: Text = Field(min_length=1, max_length=120)
    description: Text = Field("", max_length=4000)
    active: Bool = True
    match_type: TypeName | None = Field(None, description="Only tickets of this type may use the workflow")
    match_team_id: Id | None = Field(None, description="Only tickets of this team may use the workflow")
    allow_self_service: Bool = Field(False, description="The ticket's requester may start it on their own ticket")
    steps: list[StepIn] = Field(min_length=1, max_length=20)

    @field_validator("name")
    @classmethod
    def name_not_blank(cls, value: str) -> str:
        return _not_blank(value)


class WorkflowUpdateIn(PatchSchema):
    """Only the fields sent change; `steps`, when sent, replaces every step (running requests keep theirs).
    `match_type` and `match_team_id` may be null (no restriction); the other fields can't."""

    name: Text = Field(None, min_length=1, max_length=120)
    description: Text = Field(None, max_length=4000)
    active: Bool = None
    match_type: TypeName | None = None
    match_team_id: Id | None = None
    allow_self_service: Bool = None
    steps: list[StepIn] = Field(None, min_length=1, max_length=20)

    @field_validator("name")
    @classmethod
    def name_not_blank(cls, value: str) -> str:
        return _not_blank(value)


class WorkflowStepOut(Schema):
    id: int
    order: int
    name: str
    approver_kind: ApproverKindName
    approvers: list[UserOut] = Field(validation_alias="approver_users")
    team: TeamRef | None = Field(validation_alias="approver_team")
    role: str = Field(validation_alias="approver_role")
    rule: RuleName
    quorum: int | None

    @field_validator("approvers", mode="before")
    @classmethod
    def user_list(cls, value):
        return list(value.all()) if hasattr(value, "all") else value


class WorkflowOut(Schema):
    id: int
    name: str
    description: str
    active: bool
    match_type: str | None
    match_team: TeamRef | None
    allow_self_service: bool
    steps: list[WorkflowStepOut]
    created_at: datetime
    updated_at: datetime

    @field_validator("steps", mode="before")
    @classmethod
    def step_list(cls, value):
        return list(value.all()) if hasattr(value, "all") else value

    @field_validator("match_type", mode="before")
    @classmethod
    def blank_is_none(cls, value):
        return value or None


# --- Requests -------------------------------------------------------------------------------


class ApprovalStartIn(InputSchema):
    workflow_id: Id


class DecisionIn(InputSchema):
    """A comment is required to reject (422 on `comment` otherwise)."""

    decision: DecisionName
    comment: Text = Field("", max_length=4000)
    step_id: Id | None = Field(None, description="The step the client saw; 409 if it is no longer current")
    on_behalf_of: Id | None = Field(
        None, description="Approver id to decide for as their delegate; needed only when you stand in for several"
    )


class CancelIn(InputSchema):
    reason: Text = Field("", max_length=2000)


class ApprovalListQuery(Schema):
    state: RequestStateName | None = None
    mine: ParamBool = False
    cursor: Cursor | None = None
    limit: ParamInt = Field(50, ge=1, le=100)


class DecisionEntryOut(Schema):
    approver: UserOut
    decision: DecisionName | None
    comment: str
    decided_at: datetime | None
    decided_by: UserOut | None
    on_behalf_of: UserOut | None = Field(description="The approver a delegate decided for (null when not delegated)")


class StepOut(Schema):
    id: int
    order: int
    name: str
    rule: RuleName
    required_approvals: int
    approvals: int
    state: StepStateName
    opened_at: datetime | None
    closed_at: datetime | None
    decisions: list[DecisionEntryOut] = Field(description="One entry per approver, decided or not")


class ApprovalTicketRef(Schema):
    id: int
    number: str
    title: str
    status: str


class WorkflowRef(Schema):
    id: int | None
    name: str


class ApprovalPermissions(Schema):
    """What the caller may do to this request now (apps/approvals/permissions.py, the rules the
    endpoints enforce): a flag is true exactly when the matching request is allowed."""

    decide: bool = Field(
        description="POST /approvals/{id}/decision (for someone in `awaiting_decision_for`; with several, "
        "`on_behalf_of` says whom)"
    )
    cancel: bool = Field(description="POST /approvals/{id}/cancel")


class ApprovalOut(Schema):
    id: int
    state: RequestStateName
    ticket: ApprovalTicketRef
    workflow: WorkflowRef
    requested_by: UserOut
    current_step: StepOut | None
    steps_total: int
    awaiting_decision_for: list[UserOut] = Field(
        description="Approvers of the current step whose decision the caller can give now (themselves or delegators)"
    )
    permissions: ApprovalPermissions
    created_at: datetime
    finished_at: datetime | None


class ApprovalDetailOut(ApprovalOut):
    steps: list[StepOut]


class ApprovalPage(Schema):
    items: list[ApprovalOut]
    next_cursor: str | None


# --- Delegations ----------------------------------------------------------------------------


class DelegationIn(InputSchema):
    delegate_id: Id
    starts_at: DateTime
    ends_at: DateTime
    note: Text = Field("", max_length=200)


class DelegationUpdateIn(PatchSchema):
    """Only the fields sent change; none of them may be null."""

    starts_at: DateTime = None
    ends_at: DateTime = None
    note: Text = Field(None, max_length=200)


class DelegationQuery(Schema):
    received: ParamBool = Field(False, description="List delegations given to me instead of those I gave")


class DelegationOut(Schema):
    id: int
    delegator: UserOut
    delegate: UserOut
    starts_at: datetime
    ends_at: datetime
    note: str
    active: bool
    created_at: datetime
