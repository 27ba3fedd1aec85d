"""The clock rules, as a pure function of a ticket's history: no database, no "now" except to say
whether a deadline has passed. apps.sla.services feeds it the activity log and stores the result.

Rules (docs/sla.md has examples):
- Both clocks start at the ticket's creation (`start`) and count business time of the calendar.
- While the status is one of the policy's pause statuses, neither clock counts.
- First response stops at the first public comment by staff (`first_response_at`), or when the
  ticket is first resolved or closed without one; it never restarts.
- Resolution stops when the ticket is resolved or closed (closing a resolved ticket doesn't move the
  stop); a reopen resumes it, and the time it spent resolved counts like a pause.
- A clock is due when the business time it counted reaches its target; the warning comes when it
  reaches `warning_percent` of the target. A stopped clock is `met` when it stopped by its due time.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from apps.sla.business_time import Schedule, add_business_time, business_time_between
from apps.sla.models import ClockKind, ClockState

DONE_STATUSES = frozenset({"resolved", "closed"})


@dataclass(frozen=True)
class History:
    """What the rules read: `statuses` is `[(since, status), ...]` in time order, the first at `start`."""

    start: datetime
    statuses: tuple[tuple[datetime, str], ...]
    first_response_at: datetime | None


@dataclass(frozen=True)
class Targets:
    schedule: Schedule
    first_response: timedelta
    resolution: timedelta
    pause_statuses: frozenset[str]
    warning_percent: int

    def of(self, kind: str) -> timedelta:
        return self.first_response if kind == ClockKind.FIRST_RESPONSE else self.resolution


@dataclass(frozen=True)
class ClockPlan:
    """A clock as the rules say it is. `due_at`/`warning_at`: running clocks, and stopped ones (when
    they were due); `paused_at`/`remaining`: paused clocks; `stopped_at`: met or stopped late;
    `counted`: stopped clocks, the business time counted from the start to the stop (pauses and
    time spent resolved before a reopen left out)."""

    kind: str
    state: str
    started_at: datetime
    target: timedelta
    due_at: datetime | None
    warning_at: datetime | None
    paused_at: datetime | None
    stopped_at: datetime | None
    remaining: timedelta | None
    counted: timedelta | None = None


def _periods(history: History) -> list[tuple[datetime, datetime | None, str]]:
    """`(since, until, status)` for each status the ticket had; the last one is open (`until` None)."""
    statuses = history.statuses
    return [
        (since, statuses[index + 1][0] if index + 1 < len(statuses) else None, status)
        for index, (since, status) in enumerate(statuses)
    ]


def _stop(kind: str, history: History, periods: list) -> datetime | None:
    if kind == ClockKind.FIRST_RESPONSE:
        first_done = next((since for since, _, status in periods if status in DONE_STATUSES), None)
        candidates = [moment for moment in (history.first_response_at, first_done) if moment is not None]
        return min(candidates) if candidates else None
    if periods[-1][2] not in DONE_STATUSES:
        return None
    # Where the trailing run of finished statuses began: resolved then closed stops at the resolution.
    stop = periods[-1][0]
    for since, _, status in reversed(periods):
        if status not in DONE_STATUSES:
            break
        stop = since
    return stop


def _counting(kind: str, periods: list, stop: datetime | None, pause: frozenset[str]):
    """The `(from, until)` stretches the clock counts, `until` None for the open one."""
    stretches = []
    for since, until, status in periods:
        if stop is not None and since >= stop:
            break
        if status in pause or status in DONE_STATUSES:
            # Done periods before the stop were reopened (resolution) and count like a pause.
            continue
        if stop is not None and (until is None or until > stop):
            until = stop
        stretches.append((since, until))
    return stretches


def _reach(schedule: Schedule, stretches: list, amount: timedelta) -> datetime | None:
    """The instant the counted business time reaches `amount`, or None if it doesn't (yet)."""
    counted = timedelta(0)
    for since, until in stretches:
        if until is None:
            return add_business_time(schedule, since, amount - counted)
        length = business_time_between(schedule, since, until)
        if counted + length >= amount:
            return add_business_time(schedule, since, amount - counted)
        counted += length
    return None


def _counted(schedule: Schedule, stretches: list) -> timedelta:
    return sum((business_time_between(schedule, since, until) for since, until in stretches), timedelta(0))


def plan_clock(kind: str, history: History, targets: Targets, now: datetime) -> ClockPlan:
    """The clock `kind` of a ticket with this history under these targets, as of `now`."""
    schedule, target = targets.schedule, targets.of(kind)
    warning = target * targets.warning_percent / 100
    periods = _periods(history)
    stop = _stop(kind, history, periods)
    stretches = _counting(kind, periods, stop, targets.pause_statuses)
    open_ended = bool(stretches) and stretches[-1][1] is None

    if stop is not None:
        # When it was due had it kept counting from the stop: met if that is not before the stop.
        due_at = _reach(schedule, [*stretches, (stop, None)], target)
        state = ClockState.MET if due_at >= stop else ClockState.BREACHED
        counted = _counted(schedule, stretches)
        return ClockPlan(kind, state, history.start, target, due_at, None, None, stop, None, counted)
    if not open_ended:
        # Paused since the current status was entered; `due_at` only if the target was reached before.
        paused_at = periods[-1][0]
        remaining = target - _counted(schedule, stretches)
        due_at = _reach(schedule, stretches, target) if remaining <= timedelta(0) else None
        state = ClockState.BREACHED if due_at is not None else ClockState.PAUSED
        return ClockPlan(kind, state, history.start, target, due_at, None, paused_at, None, remaining)
    due_at = _reach(schedule, stretches, target)
    warning_at = _reach(schedule, stretches, warning)
    state = ClockState.BREACHED if due_at <= now else ClockState.RUNNING
    return ClockPlan(kind, state, history.start, target, due_at, warning_at, None, None, None)
