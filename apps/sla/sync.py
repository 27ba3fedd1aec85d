"""The one write path of clocks: `sla_sync_ticket` brings a ticket's SLA up to date with its history.

Everything calls it — the after-commit event subscriber (right after a ticket or comment change),
the backstop job enqueued inside that change's transaction (if the process died before the
subscriber ran), the deadline job (at a warning or due time), and the calendar recalculation. It
is idempotent: it recomputes the clocks from the ticket's activity log (apps.sla.clocks), stores
what changed with history and activity rows, stamps warnings and breaches once, copies the list
columns onto the ticket, and makes sure a deadline job waits for the next warning or due time.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from apps.accounts.models import Role
from apps.comments.models import Comment
from apps.core.events import broadcast_on_commit
from apps.sla.calendars import schedule_of
from apps.sla.clocks import History, Targets, plan_clock
from apps.sla.models import ClockKind, ClockState, SlaClock, SlaClockEvent, SlaPolicy, TicketSla
from apps.tickets.broadcast import ticket_audience, ticket_payload, ticket_topics
from apps.tickets.models import Ticket, TicketEvent
from apps.tickets.services import ticket_log, ticket_log_many

logger = logging.getLogger(__name__)

SLA_CHANGED = "ticket.sla_changed"
SLA_WARNING = "ticket.sla_warning"
SLA_BREACHED = "ticket.sla_breached"


def _iso(moment: datetime | None) -> str | None:
    """UTC with a `Z`, as the API's other datetimes are written."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def match_key(ticket: Ticket) -> dict:
    return {"priority": ticket.priority, "type": ticket.type, "team_id": ticket.team_id}


def matching_policy(ticket: Ticket) -> SlaPolicy | None:
    """The first policy by (`order`, id) whose criteria the ticket meets; empty criteria match all."""
    team = Q(team__isnull=True) | (Q(team_id=ticket.team_id) if ticket.team_id else Q(pk__in=[]))
    return (
        SlaPolicy.objects.filter(Q(priority__isnull=True) | Q(priority=ticket.priority), team)
        .filter(Q(type="") | Q(type=ticket.type))
        .select_related("calendar")
        .order_by("order", "id")
        .first()
    )


def _matches(policy: SlaPolicy, ticket: Ticket) -> bool:
    """`matching_policy`'s rule on a loaded policy (batches match without a query per ticket)."""
    return (
        (policy.priority is None or policy.priority == ticket.priority)
        and (not policy.type or policy.type == ticket.type)
        and (policy.team_id is None or policy.team_id == ticket.team_id)
    )


def ticket_histories(tickets: list[Ticket]) -> dict[int, History]:
    """The clocks' input per ticket id, from the activity log (written in the same transaction as
    each change, so it is complete even when an after-commit subscriber never ran) and the
    comments: two queries for any number of tickets."""
    by_id = {ticket.pk: ticket for ticket in tickets}
    initial: dict[int, str | None] = dict.fromkeys(by_id)
    changes: dict[int, list] = {pk: [] for pk in by_id}
    rows = TicketEvent.objects.filter(ticket_id__in=by_id, kind__in=("created", "status_changed")).order_by(
        "ticket_id", "created_at", "id"
    )
    for ticket_id, kind, old, new, at in rows.values_list("ticket_id", "kind", "old", "new", "created_at"):
        if kind == "created":
            initial[ticket_id] = (new or {}).get("status") or initial[ticket_id]
        else:
            if not changes[ticket_id] and initial[ticket_id] is None:
                initial[ticket_id] = old
            changes[ticket_id].append((max(at, by_id[ticket_id].created_at), new))
    first_responses = dict(
        Comment.objects.filter(ticket_id__in=by_id, internal=False, author__role__in=(Role.AGENT, Role.ADMIN))
        .exclude(author_id=F("ticket__requester_id"))
        .values("ticket_id")
        .annotate(first=Min("created_at"))
        .values_list("ticket_id", "first")
    )
    return {
        pk: History(
            start=ticket.created_at,
            statuses=((ticket.created_at, initial[pk] or ticket.status), *changes[pk]),
            first_response_at=first_responses.get(pk),
        )
        for pk, ticket in by_id.items()
    }


def ticket_history(ticket: Ticket) -> History:
    return ticket_histories([ticket])[ticket.pk]


def _snapshot(record: TicketSla, policy: SlaPolicy, key: dict) -> None:
    record.policy = policy
    record.policy_name = policy.name
    record.calendar = policy.calendar
    record.first_response_minutes = policy.first_response_minutes
    record.resolution_minutes = policy.resolution_minutes
    record.pause_statuses = list(policy.pause_statuses)
    record.warning_percent = policy.warning_percent
    record.matched_on = key


def targets_of(record: TicketSla) -> Targets:
    return Targets(
        schedule=schedule_of(record.calendar),
        first_response=timedelta(minutes=record.first_response_minutes),
        resolution=timedelta(minutes=record.resolution_minutes),
        pause_statuses=frozenset(record.pause_statuses),
        warning_percent=record.warning_percent,
    )


def _phase(clock) -> str:
    if clock.stopped_at is not None:
        return "stopped"
    if clock.paused_at is not None:
        return "paused"
    return "running"


def _change(old: SlaClock | None, plan, history: History, retargeted: bool) -> tuple[str, datetime] | None:
    """What happened to a clock between its stored state and its plan: (history kind, when)."""
    if old is None:
        return "started", plan.started_at
    before, after = _phase(old), _phase(plan)
    since = history.statuses[-1][0]
    if before != after:
        if after == "paused":
            return "paused", plan.paused_at
        if after == "stopped":
            return ("met" if plan.state == ClockState.MET else "stopped"), plan.stopped_at
        return ("reopened" if before == "stopped" else "resumed"), since
    if (old.due_at, old.warning_at, old.target_minutes) != (
        plan.due_at,
        plan.warning_at,
        plan.target // timedelta(minutes=1),
    ):
        return ("retargeted" if retargeted else "recalculated"), timezone.now()
    return None


def _log(ticket: Ticket, clock: SlaClock, kind: str, at: datetime, policy: str, detail: dict | None = None) -> None:
    detail = detail or {}
    SlaClockEvent.objects.create(clock=clock, kind=kind, at=at, due_at=clock.due_at, detail=detail)
    ticket_log(
        ticket=ticket,
        actor=None,
        kind=f"sla_{kind}",
        new={"clock": clock.kind, "due_at": _iso(clock.due_at), "at": _iso(at), "policy": policy, **detail},
    )


def _store(record: TicketSla, old: SlaClock | None, plan) -> SlaClock:
    clock = _assign(record, old, plan)
    clock.save()
    return clock


def _assign(record: TicketSla, old: SlaClock | None, plan) -> SlaClock:
    clock = old or SlaClock(ticket_sla=record, kind=plan.kind)
    clock.state = plan.state
    clock.started_at = plan.started_at
    clock.target_minutes = plan.target // timedelta(minutes=1)
    clock.due_at = plan.due_at
    clock.warning_at = plan.warning_at
    clock.paused_at = plan.paused_at
    clock.stopped_at = plan.stopped_at
    clock.remaining = plan.remaining
    clock.counted_seconds = plan.counted // timedelta(seconds=1) if plan.counted is not None else None
    return clock


def clock_payload(clock: SlaClock) -> dict:
    """One clock as the API shows it (API.md "SLA"), plus `warning_at`, `stopped_at` and, while
    paused, `remaining_minutes` (business minutes left; negative once past due)."""
    state = ClockState.BREACHED if clock.breached_at else clock.state
    remaining = clock.remaining / timedelta(minutes=1) if clock.remaining is not None else None
    return {
        "due_at": _iso(clock.due_at),
        "state": state,
        "breached_at": _iso(clock.breached_at),
        "warning_at": _iso(clock.warning_at),
        "stopped_at": _iso(clock.stopped_at),
        "remaining_minutes": round(remaining, 2) if remaining is not None else None,
    }


def _columns(record: TicketSla | None, clocks: list[SlaClock]) -> dict:
    if record is None:
        return {"sla": None, "sla_due": None, "sla_warning_at": None, "sla_breached": False}
    running = [clock for clock in clocks if _phase(clock) == "running"]
    dues = [clock.due_at for clock in running]
    warnings = [clock.warning_at for clock in running if not clock.breached_at]
    by_kind = {clock.kind: clock_payload(clock) for clock in clocks}
    return {
        "sla": {"policy": record.policy_name, **{kind: by_kind.get(kind) for kind in ClockKind.values}},
        "sla_due": min(dues) if dues else None,
        "sla_warning_at": min(warnings) if warnings else None,
        "sla_breached": any(clock.breached_at for clock in clocks),
    }


def _breach_due(clock: SlaClock) -> bool:
    return clock.breached_at is None and clock.state == ClockState.BREACHED and clock.due_at is not None


def _warning_due(clock: SlaClock, now: datetime) -> bool:
    return (
        clock.warned_at is None
        and clock.breached_at is None
        and _phase(clock) == "running"
        and clock.warning_at is not None
        and clock.warning_at <= now
    )


def _fire(ticket: Ticket, record: TicketSla, clock: SlaClock, now: datetime) -> list[tuple[str, SlaClock]]:
    """Stamps what is due and not stamped yet: each clock warns once and breaches once.

    A warning whose clock is also past due is skipped (the breach says more), as is one for a
    clock that is not running: a paused or stopped clock is not getting closer to its deadline.
    """
    fired = []
    if _breach_due(clock):
        clock.breached_at = clock.due_at
        clock.save(update_fields=["breached_at"])
        _log(ticket, clock, "breached", clock.due_at, record.policy_name)
        fired.append((SLA_BREACHED, clock))
    elif _warning_due(clock, now):
        clock.warned_at = clock.warning_at
        clock.save(update_fields=["warned_at"])
        _log(ticket, clock, "warning", clock.warning_at, record.policy_name)
        fired.append((SLA_WARNING, clock))
    return fired


def _next_check(clocks: list[SlaClock]) -> datetime | None:
    moments = []
    for clock in clocks:
        if _phase(clock) != "running" or clock.breached_at:
            continue
        moments.append(clock.due_at)
        if clock.warned_at is None:
            moments.append(clock.warning_at)
    return min((moment for moment in moments if moment), default=None)


def _schedule(record: TicketSla, clocks: list[SlaClock], now: datetime, *, save: bool = True) -> bool:
    """Makes sure a deadline job runs by the next warning or due time. A pending job due earlier is
    enough: it finds nothing to fire yet and schedules the next one then (so a calendar change that
    moves thousands of deadlines later enqueues nothing)."""
    from apps.sla.tasks import sla_check

    moment = _next_check(clocks)
    pending = record.next_check_at if record.next_check_at and record.next_check_at > now else None
    if moment is None or (pending is not None and pending <= moment):
        return False
    sla_check.using(run_after=moment).enqueue(record.ticket_id)
    record.next_check_at = moment
    if save:
        record.save(update_fields=["next_check_at", "updated_at"])
    return True


def _announce(ticket: Ticket, record: TicketSla | None, fired: list, payload_changed: bool, each: bool) -> None:
    if not (payload_changed and each) and not fired:
        return
    payload = ticket_payload(ticket)
    topics, audience = ticket_topics(ticket.pk), ticket_audience(ticket)
    if payload_changed and each:
        broadcast_on_commit(SLA_CHANGED, {"ticket": payload, "actor_id": None}, topics=topics, audience=audience)
    for event, clock in fired:
        data = {
            "ticket": payload,
            "clock": clock.kind,
            "due_at": _iso(clock.due_at),
            "breached_at": _iso(clock.breached_at),
            "policy": record.policy_name,
            "actor_id": None,
        }
        broadcast_on_commit(event, data, topics=topics, audience=audience)


def _publish(ticket: Ticket, record: TicketSla | None, clocks: list[SlaClock], fired: list, each: bool) -> bool:
    columns = _columns(record, clocks)
    current = {name: getattr(ticket, name) for name in columns}
    if current != columns:
        Ticket.objects.filter(pk=ticket.pk).update(**columns)
        for name, value in columns.items():
            setattr(ticket, name, value)
    changed = current["sla"] != columns["sla"]
    _announce(ticket, record, fired, payload_changed=changed, each=each)
    return changed


def _resolve_policy(ticket: Ticket, record: TicketSla | None) -> tuple[TicketSla | None, bool]:
    """Matches policies again when the ticket is new to SLA or its priority/type/team changed.
    Returns the record (None: no SLA) and whether the clocks were re-targeted to another policy."""
    key = match_key(ticket)
    if record is not None and record.matched_on == key:
        return record, False
    policy = matching_policy(ticket)
    if record is None:
        if policy is None:
            return None, False
        record = TicketSla(ticket=ticket)
        _snapshot(record, policy, key)
        record.save()
        return record, False
    if policy is None:
        for clock in record.clocks.all():
            _log(ticket, clock, "removed", timezone.now(), record.policy_name, {"reason": "no policy matches"})
        record.delete()
        return None, False
    if policy.pk == record.policy_id:
        record.matched_on = key
        record.save(update_fields=["matched_on", "updated_at"])
        return record, False
    previous = record.policy_name
    _snapshot(record, policy, key)
    record.save()
    logger.info("ticket %s re-targeted from SLA policy %r to %r", ticket.pk, previous, policy.name)
    return record, True


@transaction.atomic
def sla_sync_ticket(*, ticket_id: int, announce: bool = True) -> bool:
    """Brings ticket `ticket_id`'s SLA up to date (see the module docstring). Safe to call any
    number of times, from any process; a missing ticket is nothing to do. Returns whether the
    ticket's `sla` changed. `announce=False` leaves the `ticket.sla_changed` event to the caller
    (batches announce once); warnings and breaches are always announced."""
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None:
        return False
    now = timezone.now()
    record = TicketSla.objects.select_related("calendar").filter(ticket=ticket).first()
    record, retargeted = _resolve_policy(ticket, record)
    if record is None:
        return _publish(ticket, None, [], [], announce)
    stored = {clock.kind: clock for clock in record.clocks.all()}
    history = ticket_history(ticket)
    targets = targets_of(record)
    clocks, fired = [], []
    for kind in ClockKind.values:
        old = stored.get(kind)
        plan = plan_clock(kind, history, targets, now)
        if old is not None and old.stopped_at is not None and plan.stopped_at == old.stopped_at:
            clock = old  # a finished clock is history: re-targets and recalculations leave it alone
        else:
            change = _change(old, plan, history, retargeted)
            clock = _store(record, old, plan)
            if change:
                detail = {"target_minutes": clock.target_minutes} if change[0] in ("started", "retargeted") else {}
                _log(ticket, clock, change[0], change[1], record.policy_name, detail)
        fired += _fire(ticket, record, clock, now)
        clocks.append(clock)
    changed = _publish(ticket, record, clocks, fired, announce)
    _schedule(record, clocks, now)
    return changed


SLA_RECALCULATED = "sla.recalculated"
CLOCK_FIELDS = [
    "state",
    "started_at",
    "target_minutes",
    "due_at",
    "warning_at",
    "paused_at",
    "stopped_at",
    "remaining",
    "counted_seconds",
]
COLUMN_FIELDS = ["sla", "sla_due", "sla_warning_at", "sla_breached"]


@transaction.atomic
def sla_sync_tickets(*, ticket_ids: list[int]) -> int:
    """`sla_sync_ticket` for a batch (calendar recalculation, backfills) with a handful of queries
    instead of a score per ticket: the same rules (apps.sla.clocks), read and written in bulk, in
    one transaction, announced as one `sla.recalculated` event on `tickets` (`{"tickets": <how many
    changed>}`, no ticket data: clients reload what they show). Tickets that need more than a
    recomputation — matched again after a priority/type/team change, or a warning or breach to
    fire — go through `sla_sync_ticket` one by one. Returns how many tickets' `sla` changed."""
    now = timezone.now()
    tickets = list(Ticket.objects.select_for_update().filter(pk__in=ticket_ids).order_by("pk"))
    records = {r.ticket_id: r for r in TicketSla.objects.select_related("calendar").filter(ticket__in=tickets)}
    stored: dict[int, dict[str, SlaClock]] = {}
    for clock in SlaClock.objects.filter(ticket_sla_id__in=records):
        stored.setdefault(clock.ticket_sla_id, {})[clock.kind] = clock
    policies = list(SlaPolicy.objects.select_related("calendar").order_by("order", "id"))
    one_by_one, new_records = [], []
    for ticket in tickets:
        record = records.get(ticket.pk)
        if record is not None and record.matched_on != match_key(ticket):
            one_by_one.append(ticket.pk)
        elif record is None:
            policy = next((policy for policy in policies if _matches(policy, ticket)), None)
            if policy is None:
                if ticket.sla is not None:
                    one_by_one.append(ticket.pk)
                continue
            records[ticket.pk] = record = TicketSla(ticket=ticket)
            _snapshot(record, policy, match_key(ticket))
            new_records.append(record)
    TicketSla.objects.bulk_create(new_records)
    batch = [ticket for ticket in tickets if ticket.pk in records and ticket.pk not in one_by_one]
    histories = ticket_histories(batch)
    created, updated, history, activity, changed_tickets, rescheduled = [], [], [], [], [], []
    for ticket in batch:
        record = records[ticket.pk]
        targets = targets_of(record)
        clocks = []
        for kind in ClockKind.values:
            old = stored.get(ticket.pk, {}).get(kind)
            plan = plan_clock(kind, histories[ticket.pk], targets, now)
            if old is not None and old.stopped_at is not None and plan.stopped_at == old.stopped_at:
                clocks.append(old)
                continue
            change = _change(old, plan, histories[ticket.pk], False)
            clock = _assign(record, old, plan)
            (updated if old is not None else created).append(clock)
            if change:
                history.append((ticket, clock, *change))
            clocks.append(clock)
        if any(_breach_due(clock) or _warning_due(clock, now) for clock in clocks):
            one_by_one.append(ticket.pk)  # stored below, then fired by sla_sync_ticket
        columns = _columns(record, clocks)
        if any(getattr(ticket, name) != value for name, value in columns.items()):
            for name, value in columns.items():
                setattr(ticket, name, value)
            changed_tickets.append(ticket)
        if _schedule(record, clocks, now, save=False):
            rescheduled.append(record)
    TicketSla.objects.bulk_update(rescheduled, ["next_check_at"], batch_size=500)
    SlaClock.objects.bulk_create(created)
    SlaClock.objects.bulk_update(updated, CLOCK_FIELDS, batch_size=500)
    for _ticket, clock, kind, at in history:
        detail = {"target_minutes": clock.target_minutes} if kind == "started" else {}
        activity.append(SlaClockEvent(clock=clock, kind=kind, at=at, due_at=clock.due_at, detail=detail))
    SlaClockEvent.objects.bulk_create(activity)
    ticket_log_many(
        entries=[
            {
                "ticket": ticket,
                "kind": f"sla_{kind}",
                "new": {
                    "clock": clock.kind,
                    "due_at": _iso(clock.due_at),
                    "at": _iso(at),
                    "policy": records[ticket.pk].policy_name,
                },
            }
            for ticket, clock, kind, at in history
        ]
    )
    Ticket.objects.bulk_update(changed_tickets, COLUMN_FIELDS, batch_size=500)
    changed_ids = {ticket.pk for ticket in changed_tickets}
    for ticket_id in dict.fromkeys(one_by_one):
        if sla_sync_ticket(ticket_id=ticket_id, announce=False):
            changed_ids.add(ticket_id)
    changed = len(changed_ids)
    if changed:
        broadcast_on_commit(SLA_RECALCULATED, {"tickets": changed, "actor_id": None}, topics=["tickets"])
    return changed
