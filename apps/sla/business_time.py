"""Business-time arithmetic, exact to the microsecond: "add N business minutes to t" and "business
time between a and b" for a calendar of weekly working hours, holidays and an IANA time zone.

The one rule everything follows: **an instant is business time when its wall-clock reading in the
calendar's zone falls inside a working interval of that reading's date, and that date is not a
holiday.** Intervals are wall-clock times (`09:00`-`17:00`) interpreted on each date in the zone,
so daylight-saving changes are handled by the rule itself, not by special cases:

- *Gap* (clocks jump forward, e.g. Europe/Berlin 2026-03-29 02:00 → 03:00): wall times in the gap
  are never read, so they are not business time. `00:00`-`24:00` lasts 23 h that day; an interval
  `01:00`-`04:00` lasts 2 h; one inside the gap lasts nothing.
- *Fold* (clocks go back, e.g. 2026-10-25 03:00 → 02:00): the repeated wall times are read twice,
  so both passes count. `00:00`-`24:00` lasts 25 h; `01:00`-`04:00` lasts 4 h; `01:00`-`02:30`
  covers the first pass of 02:00-02:30 and the second, but not 02:30-03:00 of the first pass
  (its reading is after 02:30): 2 h in all.

So a 24/7 calendar (`00:00`-`24:00` every day) measures exactly the elapsed time, and business
time between two instants never depends on how they were written. Every result is an aware UTC
datetime. Offsets come from `zoneinfo` (the system's tz database); transitions are found by
sampling the offset hourly and bisecting to the second, which assumes no zone changes its offset
twice within one hour (true of every zone in the tz database).
"""

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holiday_data

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
# How far `add` looks for working time before it gives up (a calendar whose every working day is a
# holiday for ten years is broken, not busy).
SEARCH_DAYS = 3660
# Every instant whose local date is D lies within [D 00:00 - 14 h, D+1 00:00 + 12 h] in UTC (UTC
# offsets range from -12:00 to +14:00); one hour of margin each side.
_BEFORE = timedelta(hours=15)
_AFTER = timedelta(hours=13)


class NoWorkingTime(ValueError):
    """The calendar has no working time where some was needed."""


@dataclass(frozen=True)
class Schedule:
    """A business calendar as the arithmetic sees it.

    `zone`: IANA name. `hours`: seven tuples (Monday first) of `(start, end)` minutes since local
    midnight, `0 <= start < end <= 1440`, sorted and not overlapping. `holidays`: extra dates with
    no working time. `country`/`subdivision`: public holidays from the `holidays` package.
    """

    zone: str
    hours: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[date] = frozenset()
    country: str | None = None
    subdivision: str | None = None

    @property
    def weekly_minutes(self) -> int:
        return sum(end - start for day in self.hours for start, end in day)

    def is_holiday(self, day: date) -> bool:
        if day in self.holidays:
            return True
        return bool(self.country) and day in country_holidays(self.country, self.subdivision, day.year)


def schedule_24_7(zone: str = "UTC") -> Schedule:
    return Schedule(zone=zone, hours=tuple(((0, MINUTES_PER_DAY),) for _ in WEEKDAYS))


@lru_cache(maxsize=512)
def country_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """Public holidays of `country` (ISO 3166-1 alpha-2) and optional subdivision in `year`."""
    return frozenset(holiday_data.country_holidays(country, subdiv=subdivision or None, years=year).keys())


@lru_cache(maxsize=8192)
def _offset_segments(zone: str, day: date) -> tuple[tuple[datetime, datetime, timedelta], ...]:
    """`(utc_start, utc_end, utc_offset)` pieces of constant offset covering every instant whose local
    date in `zone` can be `day`."""
    tz = ZoneInfo(zone)
    low = datetime.combine(day, time(), UTC) - _BEFORE
    high = datetime.combine(day + timedelta(days=1), time(), UTC) + _AFTER

    def offset(instant: datetime) -> timedelta:
        return instant.astimezone(tz).utcoffset()

    segments = []
    start, current = low, offset(low)
    probe = low
    while probe < high:
        following = min(probe + timedelta(hours=1), high)
        if offset(following) != current:
            # Bisect to the second: the offset changes somewhere in (probe, following].
            lo, hi = probe, following
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0) if mid.microsecond else mid
                if offset(mid) == current:
                    lo = mid
                else:
                    hi = mid
            segments.append((start, hi, current))
            start, current = hi, offset(hi)
        probe = following
    segments.append((start, high, current))
    return tuple(segments)


@lru_cache(maxsize=65536)
def day_intervals(schedule: Schedule, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The business time of local date `day` as sorted, disjoint UTC intervals `[start, end)`."""
    if schedule.is_holiday(day):
        return ()
    working = schedule.hours[day.weekday()]
    if not working:
        return ()
    midnight = datetime.combine(day, time(), UTC)  # the local wall clock, written as if it were UTC
    pieces = []
    for start_minute, end_minute in working:
        wall_start = midnight + timedelta(minutes=start_minute)
        wall_end = midnight + timedelta(minutes=end_minute)
        for seg_start, seg_end, offset in _offset_segments(schedule.zone, day):
            # Instants in this segment read `instant + offset`; keep those reading in [wall_start, wall_end).
            start = max(seg_start, wall_start - offset)
            end = min(seg_end, wall_end - offset)
            if start < end:
                pieces.append((start, end))
    pieces.sort()
    merged: list[tuple[datetime, datetime]] = []
    for start, end in pieces:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _local_date(schedule: Schedule, instant: datetime) -> date:
    return instant.astimezone(ZoneInfo(schedule.zone)).date()


def _intervals_from(schedule: Schedule, first_day: date, days: int) -> Iterator[tuple[datetime, datetime]]:
    """Business intervals of `days` local dates from `first_day`, in time order.

    Dates are generated in order, but where clocks go back across midnight the second pass of a
    date's last hour comes after the next date's first minutes: a heap releases an interval only
    once no later date can produce an earlier one.
    """
    pending: list[tuple[datetime, datetime]] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        for interval in day_intervals(schedule, day):
            heapq.heappush(pending, interval)
        # Every interval of a later date starts at or after this bound.
        bound = datetime.combine(day + timedelta(days=1), time(), UTC) - _BEFORE
        while pending and pending[0][0] < bound:
            yield heapq.heappop(pending)
    while pending:
        yield heapq.heappop(pending)


def add_business_time(schedule: Schedule, start: datetime, amount: timedelta) -> datetime:
    """The instant at which `amount` of business time has passed since `start` (aware datetime).

    A result that falls on the end of a working interval is that end (8 h from Monday 09:00 on a
    09:00-17:00 calendar is Monday 17:00, not Tuesday 09:00). `amount` zero returns `start`.
    Raises ValueError for a negative amount, NoWorkingTime when none is found within SEARCH_DAYS.
    """
    if amount < timedelta(0):
        raise ValueError("amount must not be negative")
    start = start.astimezone(UTC)
    if amount == timedelta(0):
        return start
    remaining = amount
    first_day = _local_date(schedule, start) - timedelta(days=1)
    for interval_start, interval_end in _intervals_from(schedule, first_day, SEARCH_DAYS):
        if interval_end <= start:
            continue
        begin = max(interval_start, start)
        available = interval_end - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise NoWorkingTime(f"no working time within {SEARCH_DAYS} days of {start.isoformat()}")


def add_business_minutes(schedule: Schedule, start: datetime, minutes: int) -> datetime:
    """`add_business_time` with a whole number of minutes."""
    return add_business_time(schedule, start, timedelta(minutes=minutes))


def business_time_between(schedule: Schedule, start: datetime, end: datetime) -> timedelta:
    """Business time in `[start, end)`; zero when `end` is not after `start` (aware datetimes)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return timedelta(0)
    first_day = _local_date(schedule, start) - timedelta(days=1)
    days = (_local_date(schedule, end) - first_day).days + 2
    total = timedelta(0)
    for interval_start, interval_end in _intervals_from(schedule, first_day, days):
        if interval_start >= end:
            break
        overlap = min(interval_end, end) - max(interval_start, start)
        if overlap > timedelta(0):
            total += overlap
    return total


def business_minutes_between(schedule: Schedule, start: datetime, end: datetime) -> float:
    """`business_time_between` in minutes (fractional when the instants carry seconds)."""
    return business_time_between(schedule, start, end) / timedelta(minutes=1)
