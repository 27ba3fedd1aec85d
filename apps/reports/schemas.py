from datetime import date, datetime

from ninja import Schema
from pydantic import Field

from apps.accounts.schemas import TeamRef, UserOut
from apps.core.fields import Date, ParamId, Text
from apps.tickets.api import TicketFilterQuery

MINUTES = "Minutes (two decimals); null when no ticket qualifies"


class DashboardQuery(Schema):
    model_config = {"populate_by_name": True}

    from_: Date | None = Field(
        None, alias="from", description="First day (in `tz`), included. Default: 29 days before `to`"
    )
    to: Date | None = Field(None, description="Last day (in `tz`), included. Default: today")
    team: ParamId | None = Field(None, description="Only this team's tickets")
    tz: Text = Field("UTC", max_length=64, description="IANA time zone the days are counted in")


class PeriodOut(Schema):
    from_: date = Field(alias="from")
    to: date
    tz: str
    team: int | None


class BacklogTeam(Schema):
    team: TeamRef | None = Field(description="null: the triage queue (no team)")
    open: int


class BacklogOut(Schema):
    total: int = Field(description="Open tickets now: every status but resolved and closed")
    unassigned: int
    by_status: dict[str, int]
    by_priority: dict[str, int]
    by_team: list[BacklogTeam]


class DayOut(Schema):
    date: date
    created: int
    resolved: int = Field(description="Tickets that became resolved (or closed unresolved) that day")


class DurationOut(Schema):
    count: int = Field(description="Tickets the figure is computed over")
    median_minutes: float | None = Field(description=MINUTES)
    p90_minutes: float | None = Field(description=MINUTES)


class TimeToOut(DurationOut):
    business: DurationOut = Field(
        description="Business time the SLA clocks counted (policy's calendar, pauses left out), over the "
        "tickets of this figure that have a stopped SLA clock; docs/reports.md"
    )


class SlaTargetShare(Schema):
    met: int = Field(description="Targets met (clock stopped by its due time) whose outcome fell in the period")
    breached: int = Field(description="Targets breached (due time passed first) whose due time fell in the period")
    met_percent: float | None = Field(description="met / (met + breached), one decimal; null when neither")


class SlaTargetShares(SlaTargetShare):
    first_response: SlaTargetShare
    resolution: SlaTargetShare


class SlaPolicyFigures(SlaTargetShares):
    policy: str = Field(description="The policy's name when the ticket's clocks started under it")


class SlaFiguresOut(SlaTargetShares):
    breached_open: int = Field(
        description="Open tickets now with a breached SLA clock (as `GET /tickets?sla=breached`)"
    )
    policies_defined: bool = Field(description="Whether any SLA policy exists (false: SLAs aren't set up)")
    by_policy: list[SlaPolicyFigures]


class WorkflowDecisions(Schema):
    workflow: str
    decided: int
    median_minutes: float | None = Field(description=MINUTES)


class ApprovalsOut(Schema):
    pending: int
    oldest_pending_minutes: float | None
    by_workflow: list[WorkflowDecisions]


class WorkloadRow(Schema):
    user: UserOut
    open: int
    high_priority: int = Field(description="Of the open ones, high or urgent")


class ReopenOut(Schema):
    resolved: int = Field(description="Tickets moved to resolved/closed in the period")
    reopened: int = Field(description="Of those, moved back to an open status afterwards")
    rate_percent: float | None


class TagCount(Schema):
    tag: str
    count: int


class DashboardOut(Schema):
    period: PeriodOut
    generated_at: datetime
    backlog: BacklogOut
    created_vs_resolved: list[DayOut]
    first_response: TimeToOut
    resolution: TimeToOut
    sla: SlaFiguresOut
    approvals: ApprovalsOut
    workload: list[WorkloadRow]
    reopen: ReopenOut
    top_tags: list[TagCount]


class TicketExportQuery(TicketFilterQuery):
    tz: Text = Field("UTC", max_length=64, description="IANA time zone the date columns are written in")
