from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, Field

from apps.core.fields import Id, Int, Text
from apps.sla.calendars import known_timezones, parse_hours
from apps.sla.models import ClockKind
from apps.tickets.models import Status
from apps.tickets.schemas import PriorityName, StatusName, TicketChangedEvent, TypeName

Hours = dict[str, list[list[Text]]]
ClockKindName = Literal[tuple(ClockKind.values)]  # type: ignore[valid-type]
MAX_TARGET_MINUTES = 525_600  # a year of minutes: beyond that a target is a typo


def _timezone(value: str | None) -> str | None:
    if value is not None and value not in known_timezones():
        raise ValueError(f"'{value}' is not an IANA time zone (e.g. Europe/Berlin).")
    return value


def _hours(value: Hours | None) -> Hours | None:
    if value is not None:
        parse_hours(value)
    return value


def _pause_statuses(value: list[str] | None) -> list[str] | None:
    if value and {Status.RESOLVED, Status.CLOSED} & set(value):
        raise ValueError("resolved and closed stop the clocks; they can't pause them.")
    return value


TimezoneName = Annotated[Text, AfterValidator(_timezone)]
WorkingHours = Annotated[Hours, AfterValidator(_hours)]
PauseStatuses = Annotated[list[StatusName], AfterValidator(_pause_statuses)]

HOURS_DOC = 'Working intervals per weekday: {"mon": [["09:00", "17:00"]], ..., "sun": []}; "24:00" ends a day.'


class CalendarIn(Schema):
    model_config = {"extra": "forbid"}

    name: Text = Field(min_length=1, max_length=100)
    timezone: TimezoneName = Field(max_length=64, description="IANA time zone, e.g. Europe/Berlin")
    hours: WorkingHours = Field(description=HOURS_DOC)
    holidays: list[Text] = Field(default_factory=list, max_length=1000, description="Extra closed dates, YYYY-MM-DD")
    holiday_country: Text | None = Field(None, max_length=2, description="Public holidays of this country (ISO code)")
    holiday_subdivision: Text | None = Field(None, max_length=10, description="…and of this subdivision (e.g. BY)")


class CalendarUpdateIn(Schema):
    model_config = {"extra": "forbid"}

    name: Text | None = Field(None, min_length=1, max_length=100)
    timezone: TimezoneName | None = Field(None, max_length=64)
    hours: WorkingHours | None = None
    holidays: list[Text] | None = Field(None, max_length=1000)
    holiday_country: Text | None = Field(None, max_length=2)
    holiday_subdivision: Text | None = Field(None, max_length=10)


class CalendarOut(Schema):
    id: int
    name: str
    timezone: str
    hours: Hours
    holidays: list[str]
    holiday_country: str | None
    holiday_subdivision: str | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_holiday_country(obj) -> str | None:
        return obj.holiday_country or None

    @staticmethod
    def resolve_holiday_subdivision(obj) -> str | None:
        return obj.holiday_subdivision or None


class PolicyIn(Schema):
    model_config = {"extra": "forbid"}

    name: Text = Field(min_length=1, max_length=100)
    order: Int = Field(0, ge=-1_000_000, le=1_000_000, description="Lower first; the first matching policy applies")
    priority: PriorityName | None = Field(None, description="Match this priority only (null: any)")
    type: TypeName | None = Field(None, description="Match this type only (null: any)")
    team_id: Id | None = Field(None, description="Match this team only (null: any)")
    calendar_id: Id
    first_response_minutes: Int = Field(ge=1, le=MAX_TARGET_MINUTES, description="Business minutes")
    resolution_minutes: Int = Field(ge=1, le=MAX_TARGET_MINUTES, description="Business minutes")
    pause_statuses: PauseStatuses = Field(default_factory=lambda: ["on_hold", "pending_approval"], max_length=9)
    warning_percent: Int = Field(75, ge=1, le=99, description="Warn when this share of a target is used")


class PolicyUpdateIn(Schema):
    model_config = {"extra": "forbid"}

    name: Text | None = Field(None, min_length=1, max_length=100)
    order: Int | None = Field(None, ge=-1_000_000, le=1_000_000)
    priority: PriorityName | None = None
    type: TypeName | None = None
    team_id: Id | None = Field(None)
    calendar_id: Id | None = None
    first_response_minutes: Int | None = Field(None, ge=1, le=MAX_TARGET_MINUTES)
    resolution_minutes: Int | None = Field(None, ge=1, le=MAX_TARGET_MINUTES)
    pause_statuses: PauseStatuses | None = Field(None, max_length=9)
    warning_percent: Int | None = Field(None, ge=1, le=99)


class PolicyOut(Schema):
    id: int
    name: str
    order: int
    priority: PriorityName | None
    type: TypeName | None
    team_id: int | None
    calendar_id: int
    first_response_minutes: int
    resolution_minutes: int
    pause_statuses: list[StatusName]
    warning_percent: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_priority(obj) -> str | None:
        from apps.tickets.models import Priority

        return Priority(obj.priority).label if obj.priority else None

    @staticmethod
    def resolve_type(obj) -> str | None:
        return obj.type or None


class CalendarList(Schema):
    items: list[CalendarOut]


class PolicyList(Schema):
    items: list[PolicyOut]


class ClockOut(Schema):
    due_at: datetime | None
    state: Literal["running", "paused", "met", "breached"]
    breached_at: datetime | None
    warning_at: datetime | None = Field(None, description="When the warning threshold is (was) reached")
    stopped_at: datetime | None = Field(None, description="When the clock stopped (met or late)")
    remaining_minutes: float | None = Field(None, description="While paused: business minutes left")


class ClockEventOut(Schema):
    kind: str
    at: datetime
    due_at: datetime | None


class ClockDetailOut(ClockOut):
    kind: str
    target_minutes: int
    started_at: datetime
    history: list[ClockEventOut]


class TicketSlaOut(Schema):
    policy: str
    calendar: str
    timezone: str
    clocks: list[ClockDetailOut]


# Websocket event payloads (apps/live/schemas.py names them by event).


class SlaClockEvent(TicketChangedEvent):
    """ticket.sla_warning, ticket.sla_breached: a clock crossed its warning threshold or its target."""

    clock: ClockKindName
    due_at: datetime | None
    breached_at: datetime | None
    policy: str = Field(description="The policy's name")


class SlaRecalculatedEvent(Schema):
    """sla.recalculated, on `tickets`: a calendar or policy change moved many tickets' clocks (reload)."""

    tickets: int = Field(description="How many tickets' clocks changed")
    actor_id: int | None
