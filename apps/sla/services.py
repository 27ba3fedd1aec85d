"""Writes to calendars and policies (admins only): the REST API and the Django admin both call these.

Clock writes live in apps.sla.sync. A policy change applies to tickets that start matching it from
now on; running clocks keep the targets they started with. A calendar change recomputes the open
clocks on it (the targets stay, the business time they count changes), in background batches.
"""

from django.db import transaction
from django.db.models import ProtectedError

from apps.accounts.models import Team, User
from apps.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from apps.sla.calendars import check_region, parse_holidays, parse_hours
from apps.sla.models import BusinessCalendar, SlaClock, SlaPolicy, TicketSla
from apps.tickets.models import Priority

DEFAULT_PAUSE_STATUSES = ["on_hold", "pending_approval"]
CALENDAR_FIELDS = ("name", "timezone", "hours", "holidays", "holiday_country", "holiday_subdivision")
# Fields whose change moves business time, so open clocks on the calendar are recomputed.
SCHEDULE_FIELDS = ("timezone", "hours", "holidays", "holiday_country", "holiday_subdivision")
POLICY_FIELDS = (
    "name",
    "order",
    "priority",
    "type",
    "team_id",
    "calendar_id",
    "first_response_minutes",
    "resolution_minutes",
    "pause_statuses",
    "warning_percent",
)


def require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only admins manage SLA calendars and policies.", code="admin_only")


def _locked(model, pk: int):
    found = model.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound(f"No such {model._meta.verbose_name}.")
    return found


def _validated_calendar(values: dict) -> dict:
    """Checks the rules a schema can't see (uniqueness aside) and normalises; 422 per field."""
    errors = {}
    try:
        parse_hours(values["hours"])
    except ValueError as exc:
        errors["hours"] = str(exc)
    try:
        values["holidays"] = parse_holidays(values.get("holidays") or [])
    except ValueError as exc:
        errors["holidays"] = str(exc)
    values["holiday_country"] = (values.get("holiday_country") or "").upper()
    values["holiday_subdivision"] = (values.get("holiday_subdivision") or "").upper()
    try:
        check_region(values["holiday_country"], values["holiday_subdivision"])
    except ValueError as exc:
        errors["holiday_subdivision" if "subdivision" in str(exc) else "holiday_country"] = str(exc)
    if errors:
        raise ValidationFailed(errors)
    return values


def _unique_name(model, name: str, exclude_id: int | None = None) -> None:
    if model.objects.filter(name=name).exclude(pk=exclude_id).exists():
        raise ValidationFailed({"name": "That name is taken."})


@transaction.atomic
def calendar_create(*, actor: User, **values) -> BusinessCalendar:
    """`values`: CALENDAR_FIELDS (holidays and region optional). 422 for no working time, bad
    intervals, dates or region; 403 for non-admins."""
    require_admin(actor)
    values = _validated_calendar({field: values.get(field) for field in CALENDAR_FIELDS})
    _unique_name(BusinessCalendar, values["name"])
    return BusinessCalendar.objects.create(**values)


@transaction.atomic
def calendar_update(*, actor: User, calendar_id: int, changes: dict) -> BusinessCalendar:
    """Partial update. When working time changes, open clocks on this calendar are recomputed by
    `sla_recalculate_calendar` jobs (enqueued here, so they commit with the change)."""
    require_admin(actor)
    calendar = _locked(BusinessCalendar, calendar_id)
    values = {field: changes.get(field, getattr(calendar, field)) for field in CALENDAR_FIELDS}
    values = _validated_calendar(values)
    _unique_name(BusinessCalendar, values["name"], exclude_id=calendar.pk)
    moved = any(values[field] != getattr(calendar, field) for field in SCHEDULE_FIELDS)
    for field, value in values.items():
        setattr(calendar, field, value)
    calendar.save()
    if moved:
        from apps.sla.tasks import sla_recalculate_calendar

        sla_recalculate_calendar.enqueue(calendar.pk, 0)
    return calendar


@transaction.atomic
def calendar_delete(*, actor: User, calendar_id: int) -> None:
    """409 `calendar_in_use` while a policy or an open clock uses the calendar."""
    require_admin(actor)
    calendar = _locked(BusinessCalendar, calendar_id)
    policies = SlaPolicy.objects.filter(calendar=calendar).count()
    open_clocks = SlaClock.objects.filter(ticket_sla__calendar=calendar, stopped_at__isnull=True).count()
    if policies or open_clocks:
        raise Conflict(
            "This calendar is in use.",
            code="calendar_in_use",
            details={"policies": policies, "open_clocks": open_clocks},
        )
    # Finished tickets' records keep their calendar: they go with it only once nothing is open.
    TicketSla.objects.filter(calendar=calendar).delete()
    try:
        calendar.delete()
    except ProtectedError as exc:  # a clock opened meanwhile (the row lock makes it unlikely)
        raise Conflict("This calendar is in use.", code="calendar_in_use") from exc


def _validated_policy(values: dict) -> dict:
    errors = {}
    if values.get("team_id") is not None and not Team.objects.filter(pk=values["team_id"]).exists():
        errors["team_id"] = "No such team."
    if not BusinessCalendar.objects.filter(pk=values.get("calendar_id")).exists():
        errors["calendar_id"] = "No such calendar."
    if values["resolution_minutes"] < values["first_response_minutes"]:
        errors["resolution_minutes"] = "The resolution target can't be shorter than the first-response target."
    if errors:
        raise ValidationFailed(errors)
    if isinstance(values.get("priority"), str):
        values["priority"] = Priority.from_name(values["priority"]).value
    values["type"] = values.get("type") or ""
    values["pause_statuses"] = sorted(set(values["pause_statuses"]))
    return values


def _policy_values(policy: SlaPolicy | None, changes: dict) -> dict:
    current = {}
    if policy is not None:
        current = {field: getattr(policy, field) for field in POLICY_FIELDS}
        current["priority"] = Priority(policy.priority).label if policy.priority else None
        current["type"] = policy.type or None
    defaults = {"order": 0, "pause_statuses": DEFAULT_PAUSE_STATUSES, "warning_percent": 75}
    return {field: changes.get(field, current.get(field, defaults.get(field))) for field in POLICY_FIELDS}


@transaction.atomic
def policy_create(*, actor: User, **values) -> SlaPolicy:
    """`values`: POLICY_FIELDS; `priority` as a name, empty criteria match every ticket."""
    require_admin(actor)
    values = _validated_policy(_policy_values(None, values))
    _unique_name(SlaPolicy, values["name"])
    return SlaPolicy.objects.create(**values)


@transaction.atomic
def policy_update(*, actor: User, policy_id: int, changes: dict) -> SlaPolicy:
    """Partial update. Running clocks keep the targets they started with (TicketSla snapshot)."""
    require_admin(actor)
    policy = _locked(SlaPolicy, policy_id)
    values = _validated_policy(_policy_values(policy, changes))
    _unique_name(SlaPolicy, values["name"], exclude_id=policy.pk)
    for field, value in values.items():
        setattr(policy, field, value)
    policy.save()
    return policy


@transaction.atomic
def policy_delete(*, actor: User, policy_id: int) -> None:
    """Running clocks keep their targets; their record forgets the policy (`policy` null)."""
    require_admin(actor)
    _locked(SlaPolicy, policy_id).delete()
