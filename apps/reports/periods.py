"""The reporting period: calendar days in the caller's timezone, turned into a half-open UTC range."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from django.utils import timezone

from apps.core.errors import ValidationFailed

# A year and a day: a leap year fits, and a dashboard's per-day series stays small.
MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 30


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def is_timezone(name: str) -> bool:
    """True for an IANA zone name this system knows (e.g. "Europe/Berlin", "UTC")."""
    return name in _zone_names()


@dataclass(frozen=True)
class ReportPeriod:
    """Days `first_day`..`last_day` (both included) in `tz`; `start`/`end` bound them in UTC, end excluded."""

    first_day: date
    last_day: date
    tz: ZoneInfo
    start: datetime
    end: datetime

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range((self.last_day - self.first_day).days + 1)]


def report_period(
    first_day: date | None, last_day: date | None, tz_name: str, *, today: date | None = None
) -> ReportPeriod:
    """The period for a dashboard request. Defaults: the 30 days ending today in `tz_name`.

    Raises ValidationFailed (422) on `tz` when it is not an IANA zone, on `from` when it is after
    `to` or the period is longer than MAX_PERIOD_DAYS, and on the date that leaves the datetime range.
    """
    if not is_timezone(tz_name):
        raise ValidationFailed({"tz": "Use an IANA time zone name such as Europe/Berlin or UTC."})
    tz = ZoneInfo(tz_name)
    today = today or timezone.now().astimezone(tz).date()
    last_day = last_day or (today if first_day is None else min(today, first_day + timedelta(DEFAULT_PERIOD_DAYS - 1)))
    first_day = first_day or last_day - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if first_day > last_day:
        raise ValidationFailed({"from": "The period must start on or before its last day (to)."})
    if (last_day - first_day).days + 1 > MAX_PERIOD_DAYS:
        raise ValidationFailed({"from": f"A period covers at most {MAX_PERIOD_DAYS} days."})
    try:
        start = datetime.combine(first_day, time.min, tzinfo=tz).astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValidationFailed({"from": "This date is out of the supported range."}) from exc
    try:
        end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValidationFailed({"to": "This date is out of the supported range."}) from exc
    return ReportPeriod(first_day=first_day, last_day=last_day, tz=tz, start=start, end=end)
