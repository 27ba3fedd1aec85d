"""Business-time arithmetic: a table of cases worked out by hand, then properties checked by hypothesis
against the rule itself (a brute-force, minute-by-minute reading of the wall clock through zoneinfo)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.sla.business_time import (
    NoWorkingTime,
    Schedule,
    add_business_minutes,
    add_business_time,
    business_minutes_between,
    business_time_between,
    schedule_24_7,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NINE_TO_FIVE = ((9 * 60, 17 * 60),)


def weekdays(*intervals, weekend=()) -> tuple:
    return (intervals,) * 5 + (weekend, weekend)


OFFICE_DE = Schedule(zone="Europe/Berlin", hours=weekdays(*NINE_TO_FIVE), country="DE", subdivision="BY")
SPLIT = Schedule(zone="Europe/Berlin", hours=weekdays((9 * 60, 12 * 60), (13 * 60, 17 * 60)))
NIGHT_BERLIN = Schedule(zone="Europe/Berlin", hours=(((60, 4 * 60),),) * 7)
NIGHT_NY = Schedule(zone="America/New_York", hours=(((60, 150),),) * 7)


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def new_york(*args, fold=0) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK, fold=fold)


ADD_CASES = [
    # (name, schedule, start, minutes, expected due)
    ("inside one day", OFFICE_DE, berlin(2026, 3, 2, 9), 60, berlin(2026, 3, 2, 10)),
    ("to the end of the day, not the next morning", OFFICE_DE, berlin(2026, 3, 2, 9), 480, berlin(2026, 3, 2, 17)),
    ("one minute past the day", OFFICE_DE, berlin(2026, 3, 2, 9), 481, berlin(2026, 3, 3, 9, 1)),
    ("before opening starts at opening", OFFICE_DE, berlin(2026, 3, 2, 6, 30), 30, berlin(2026, 3, 2, 9, 30)),
    ("weekend skipped", OFFICE_DE, berlin(2026, 3, 6, 16), 120, berlin(2026, 3, 9, 10)),
    ("from a Saturday", OFFICE_DE, berlin(2026, 3, 7, 12), 30, berlin(2026, 3, 9, 9, 30)),
    # Christmas Day (Friday) is a public holiday in Germany; the 26th is a Saturday.
    ("holiday skipped", OFFICE_DE, berlin(2026, 12, 24, 16, 30), 60, berlin(2026, 12, 28, 9, 30)),
    # Good Friday 2026-04-03 and Easter Monday 2026-04-06.
    ("Easter skipped", OFFICE_DE, berlin(2026, 4, 2, 16), 120, berlin(2026, 4, 7, 10)),
    ("across the lunch break", SPLIT, berlin(2026, 3, 2, 11, 30), 60, berlin(2026, 3, 2, 13, 30)),
    ("starting in the lunch break", SPLIT, berlin(2026, 3, 2, 12, 15), 30, berlin(2026, 3, 2, 13, 30)),
    ("split day into the next", SPLIT, berlin(2026, 3, 2, 16), 180, berlin(2026, 3, 3, 11)),
    # 2400 business minutes a week: 3000 is a week and 600 more (Mon 8 h, Tue 2 h).
    ("longer than a week", OFFICE_DE, berlin(2026, 3, 2, 9), 3000, berlin(2026, 3, 10, 11)),
    ("zero minutes is the start", OFFICE_DE, berlin(2026, 3, 7, 12), 0, berlin(2026, 3, 7, 12)),
    # Berlin springs forward 2026-03-29 02:00 → 03:00: 01:30 + 30 min reaches the gap, then 03:00 + 30.
    ("Berlin gap, working night", NIGHT_BERLIN, berlin(2026, 3, 29, 1, 30), 60, berlin(2026, 3, 29, 3, 30)),
    (
        "Berlin gap, 24/7 is elapsed time",
        schedule_24_7("Europe/Berlin"),
        berlin(2026, 3, 29, 1),
        120,
        berlin(2026, 3, 29, 4),
    ),
    # Berlin falls back 2026-10-25 03:00 → 02:00: 02:00-03:00 is read twice and counts twice.
    (
        "Berlin fold, working night",
        NIGHT_BERLIN,
        berlin(2026, 10, 25, 1),
        180,
        berlin(2026, 10, 25, 3),
    ),
    (
        "Berlin fold, 24/7",
        schedule_24_7("Europe/Berlin"),
        berlin(2026, 10, 25, 1, 30),
        120,
        datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=1),
    ),
    # New York springs forward 2026-03-08 02:00 → 03:00 and falls back 2026-11-01 02:00 → 01:00.
    ("New York gap", schedule_24_7("America/New_York"), new_york(2026, 3, 8, 1, 30), 60, new_york(2026, 3, 8, 3, 30)),
    ("New York fold", NIGHT_NY, new_york(2026, 11, 1, 1), 120, new_york(2026, 11, 1, 2)),
    (
        "New York fold, 24/7",
        schedule_24_7("America/New_York"),
        new_york(2026, 11, 1, 0, 30),
        90,
        new_york(2026, 11, 1, 1, fold=1),
    ),
]


@pytest.mark.parametrize(("name", "schedule", "start", "minutes", "expected"), ADD_CASES, ids=[c[0] for c in ADD_CASES])
def test_add_business_minutes(name, schedule, start, minutes, expected):
    due = add_business_minutes(schedule, start, minutes)
    # In UTC: Python never finds a fold=1 time equal to one of another zone (PEP 495).
    assert due == expected.astimezone(UTC)
    assert due.tzinfo is UTC
    assert business_time_between(schedule, start, due) == timedelta(minutes=minutes)


BETWEEN_CASES = [
    ("a working day", OFFICE_DE, berlin(2026, 3, 2, 0), berlin(2026, 3, 3, 0), 8 * 60),
    ("a week", OFFICE_DE, berlin(2026, 3, 2, 0), berlin(2026, 3, 9, 0), 40 * 60),
    ("a weekend", OFFICE_DE, berlin(2026, 3, 6, 17), berlin(2026, 3, 9, 9), 0),
    ("Christmas week", OFFICE_DE, berlin(2026, 12, 21, 0), berlin(2026, 12, 28, 0), 4 * 8 * 60),
    ("split day", SPLIT, berlin(2026, 3, 2, 10), berlin(2026, 3, 2, 14), 3 * 60),
    ("end before start counts nothing", OFFICE_DE, berlin(2026, 3, 2, 12), berlin(2026, 3, 2, 10), 0),
    (
        "Berlin 24/7 spring day is 23 h",
        schedule_24_7("Europe/Berlin"),
        berlin(2026, 3, 29),
        berlin(2026, 3, 30),
        23 * 60,
    ),
    (
        "Berlin 24/7 autumn day is 25 h",
        schedule_24_7("Europe/Berlin"),
        berlin(2026, 10, 25),
        berlin(2026, 10, 26),
        25 * 60,
    ),
    ("Berlin 01:00-04:00 on the spring day", NIGHT_BERLIN, berlin(2026, 3, 29), berlin(2026, 3, 30), 2 * 60),
    ("Berlin 01:00-04:00 on the autumn day", NIGHT_BERLIN, berlin(2026, 10, 25), berlin(2026, 10, 26), 4 * 60),
    (
        "New York 24/7 spring day is 23 h",
        schedule_24_7("America/New_York"),
        new_york(2026, 3, 8),
        new_york(2026, 3, 9),
        23 * 60,
    ),
    (
        "New York 24/7 autumn day is 25 h",
        schedule_24_7("America/New_York"),
        new_york(2026, 11, 1),
        new_york(2026, 11, 2),
        25 * 60,
    ),
    # 01:00-02:30 on the autumn day: 01:00-02:00 twice, then 02:00-02:30 once.
    ("New York 01:00-02:30 on the autumn day", NIGHT_NY, new_york(2026, 11, 1), new_york(2026, 11, 2), 150),
    ("New York 01:00-02:30 on the spring day", NIGHT_NY, new_york(2026, 3, 8), new_york(2026, 3, 9), 60),
]


@pytest.mark.parametrize(
    ("name", "schedule", "start", "end", "minutes"), BETWEEN_CASES, ids=[c[0] for c in BETWEEN_CASES]
)
def test_business_minutes_between(name, schedule, start, end, minutes):
    assert business_minutes_between(schedule, start, end) == minutes


def test_custom_holidays_are_skipped():
    closed = Schedule(zone="Europe/Berlin", hours=weekdays(*NINE_TO_FIVE), holidays=frozenset({date(2026, 3, 3)}))
    assert add_business_minutes(closed, berlin(2026, 3, 2, 16), 120) == berlin(2026, 3, 4, 10)


def test_seconds_are_kept_exactly():
    start = berlin(2026, 3, 2, 16, 59, 30, 250)
    due = add_business_minutes(OFFICE_DE, start, 1)
    assert due == berlin(2026, 3, 3, 9, 0, 30, 250)
    assert business_minutes_between(OFFICE_DE, start, due) == 1


def test_a_calendar_without_working_time_finds_none():
    closed = Schedule(zone="UTC", hours=((),) * 7)
    with pytest.raises(NoWorkingTime):
        add_business_minutes(closed, datetime(2026, 1, 1, tzinfo=UTC), 1)
    assert business_time_between(
        closed, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    ) == timedelta(0)


def test_negative_amounts_are_refused():
    with pytest.raises(ValueError):
        add_business_time(OFFICE_DE, berlin(2026, 3, 2, 9), timedelta(minutes=-1))


# --- Properties -----------------------------------------------------------------------------------

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham", "UTC"]
# Near the transitions the issue names, and anywhere in 2026-2027.
HOT_SPOTS = [
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
    datetime(2026, 4, 4, 15, tzinfo=UTC),  # Lord Howe goes back half an hour
]


@st.composite
def day_hours(draw):
    cuts = sorted(draw(st.sets(st.integers(0, 48), max_size=6)))
    if len(cuts) % 2:
        cuts = cuts[:-1]
    return tuple((cuts[i] * 30, cuts[i + 1] * 30) for i in range(0, len(cuts), 2) if cuts[i] < cuts[i + 1])


@st.composite
def schedules(draw):
    hours = tuple(draw(day_hours()) for _ in range(7))
    if not any(hours):
        hours = (((9 * 60, 17 * 60),), *hours[1:])
    holidays = frozenset(draw(st.lists(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=5)))
    return Schedule(zone=draw(st.sampled_from(ZONES)), hours=hours, holidays=holidays)


@st.composite
def instants(draw):
    if draw(st.booleans()):
        base = draw(st.sampled_from(HOT_SPOTS))
        return base + timedelta(minutes=draw(st.integers(-36 * 60, 36 * 60)))
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=draw(st.integers(0, 2 * 365 * 86400)))


PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(schedule=schedules(), start=instants(), minutes=st.integers(0, 20_000))
def test_adding_then_measuring_gives_the_target_back(schedule, start, minutes):
    due = add_business_minutes(schedule, start, minutes)
    assert due >= start
    assert business_time_between(schedule, start, due) == timedelta(minutes=minutes)
    if minutes:
        # The due instant is reached by working: the microsecond before it is business time.
        tick = timedelta(microseconds=1)
        assert business_time_between(schedule, due - tick, due) == tick


@PROPERTY_SETTINGS
@given(schedule=schedules(), a=instants(), b=instants(), c=instants())
def test_measuring_is_additive(schedule, a, b, c):
    a, b, c = sorted([a, b, c])
    assert business_time_between(schedule, a, b) + business_time_between(schedule, b, c) == business_time_between(
        schedule, a, c
    )


@PROPERTY_SETTINGS
@given(zone=st.sampled_from(ZONES), a=instants(), b=instants())
def test_24_7_measures_elapsed_time(zone, a, b):
    a, b = sorted([a, b])
    assert business_time_between(schedule_24_7(zone), a, b) == b - a


def brute_force_minutes(schedule: Schedule, start: datetime, end: datetime) -> int:
    """The rule read literally: step minute by minute and look at the wall clock through zoneinfo."""
    zone = ZoneInfo(schedule.zone)
    count = 0
    instant = start
    while instant < end:
        local = instant.astimezone(zone)
        minute = local.hour * 60 + local.minute
        if local.date() not in schedule.holidays and any(
            begin <= minute < finish for begin, finish in schedule.hours[local.weekday()]
        ):
            count += 1
        instant += timedelta(minutes=1)
    return count


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedule=schedules(), start=instants(), length=st.integers(0, 3 * 24 * 60))
def test_agrees_with_reading_the_wall_clock_minute_by_minute(schedule, start, length):
    start = start.replace(second=0, microsecond=0)
    end = start + timedelta(minutes=length)
    assert business_minutes_between(schedule, start, end) == brute_force_minutes(schedule, start, end)
