"""Business calendars as stored (`{"mon": [["09:00", "17:00"]], ...}`) and as the arithmetic reads
them (apps.sla.business_time.Schedule); the validation rules for both live here, once."""

import re
from datetime import date
from functools import lru_cache
from itertools import pairwise
from zoneinfo import available_timezones

import holidays as holiday_data

from apps.sla.business_time import MINUTES_PER_DAY, WEEKDAYS, Schedule

CLOCK_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
HOURS_24_7 = {day: [["00:00", "24:00"]] for day in WEEKDAYS}
HOURS_OFFICE = {day: [["09:00", "17:00"]] if day not in ("sat", "sun") else [] for day in WEEKDAYS}


@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def holiday_countries() -> dict[str, tuple[str, ...]]:
    """ISO country code → its subdivision codes, as the `holidays` package knows them."""
    return {code: tuple(subdivisions) for code, subdivisions in holiday_data.list_supported_countries().items()}


def _minutes(value: str) -> int:
    match = CLOCK_TIME.match(value) if isinstance(value, str) else None
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise ValueError(f"'{value}' is not a time of day (HH:MM, 00:00 to 24:00)")
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_hours(hours: dict) -> tuple[tuple[tuple[int, int], ...], ...]:
    """`{"mon": [["09:00", "12:00"], ["13:00", "17:00"]], ...}` → minutes per weekday (Monday first).

    Every weekday must be present (an empty list is a day off); intervals must have start < end
    and not overlap. Raises ValueError with a message naming the day; refuses a week without any
    working time (a calendar in which nothing could ever be due).
    """
    if not isinstance(hours, dict) or set(hours) != set(WEEKDAYS):
        raise ValueError(f"Give every weekday: {', '.join(WEEKDAYS)} (an empty list for a day off).")
    week = []
    for day in WEEKDAYS:
        intervals = []
        for pair in hours[day]:
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise ValueError(f'{day}: each interval is a pair ["HH:MM", "HH:MM"].')
            try:
                start, end = _minutes(pair[0]), _minutes(pair[1])
            except ValueError as exc:
                raise ValueError(f"{day}: {exc}") from exc
            if start >= end or start == MINUTES_PER_DAY:
                raise ValueError(f"{day}: {pair[0]}-{pair[1]} ends before it starts.")
            intervals.append((start, end))
        intervals.sort()
        for (_, previous_end), (next_start, _) in pairwise(intervals):
            if next_start < previous_end:
                raise ValueError(f"{day}: working intervals overlap.")
        week.append(tuple(intervals))
    if not any(week):
        raise ValueError("A calendar needs some working time: every day is empty.")
    return tuple(week)


def format_hours(week: tuple) -> dict[str, list[list[str]]]:
    def clock(minutes: int) -> str:
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    return {day: [[clock(start), clock(end)] for start, end in week[index]] for index, day in enumerate(WEEKDAYS)}


def parse_holidays(values: list) -> list[str]:
    """ISO dates, deduplicated and sorted; ValueError names the first bad one."""
    days = set()
    for value in values:
        try:
            days.add(date.fromisoformat(value).isoformat())
        except (TypeError, ValueError) as exc:
            raise ValueError(f"'{value}' is not a date (YYYY-MM-DD).") from exc
    return sorted(days)


def check_region(country: str, subdivision: str) -> None:
    if subdivision and not country:
        raise ValueError("A holiday subdivision needs a holiday country.")
    if country and country not in holiday_countries():
        raise ValueError(f"'{country}' is not a country the holidays package knows (ISO 3166-1 alpha-2).")
    if subdivision and subdivision not in holiday_countries()[country]:
        raise ValueError(f"'{subdivision}' is not a subdivision of {country}.")


def schedule_of(calendar) -> Schedule:
    """The arithmetic's view of a stored BusinessCalendar (already validated when it was saved)."""
    return _schedule(
        calendar.timezone,
        parse_hours(calendar.hours),
        tuple(calendar.holidays),
        calendar.holiday_country or None,
        calendar.holiday_subdivision or None,
    )


@lru_cache(maxsize=256)
def _schedule(zone, week, holidays, country, subdivision) -> Schedule:
    # One Schedule object per distinct calendar content: the arithmetic caches by it.
    return Schedule(
        zone=zone,
        hours=week,
        holidays=frozenset(date.fromisoformat(day) for day in holidays),
        country=country,
        subdivision=subdivision,
    )
