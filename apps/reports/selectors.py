"""The dashboard's figures, each computed in the database (docs/reports.md defines every one).

Every figure counts the tickets of `report_scope(user, team_id)`: those the caller may see under the
tickets app's own visibility rule (`visible_tickets_q`), optionally one team's. A figure is one
query (SLA: three; first response and resolution: one more each for business time), so a dashboard
costs the same number of queries at ten tickets and at a million.
Python only shapes the grouped rows the database returns (a few dozen at most), never tickets.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Count, Exists, F, FilteredRelation, Max, Min, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from apps.accounts.models import USER_VALUE_FIELDS, Role, User, display_name_of
from apps.approvals.models import ApprovalRequest, RequestState
from apps.comments.models import Comment
from apps.reports.periods import ReportPeriod
from apps.reports.stats import EpochSeconds, percentiles
from apps.sla.models import ClockKind, ClockState, SlaClock, SlaPolicy
from apps.tickets.models import Priority, Status, Ticket, TicketEvent
from apps.tickets.permissions import visible_tickets_q
from apps.tickets.workflow import DONE

OPEN_STATUSES = [status for status in Status.values if status not in DONE]
# Sorted, so the SQL matches the predicate of the ticket_open_backlog index exactly.
DONE_STATUSES = sorted(DONE)
STAFF_ROLES = [Role.AGENT, Role.ADMIN]
TOP_TAGS = 10
SECONDS_PER_MINUTE = 60


@dataclass(frozen=True)
class Scope:
    """What every figure counts: tickets the caller may see under the tickets app's own rule
    (`visible_tickets_q`, as the list applies it), optionally one team's; for rows that belong to a
    ticket, the same rule through their ticket."""

    q: Q

    def tickets(self) -> QuerySet[Ticket]:
        return Ticket.objects.filter(self.q)

    def of(self, rows: QuerySet, ticket_field: str = "ticket_id") -> QuerySet:
        """`rows` that point at a ticket (approvals, activity, tag links) limited to the scope's tickets,
        checked per row (see PerRowExists); nothing to check when the scope is every ticket."""
        if not self.q:
            return rows
        return rows.filter(PerRowExists(Ticket.objects.filter(self.q, pk=OuterRef(ticket_field))))


class PerRowExists(Exists):
    """EXISTS that PostgreSQL evaluates per outer row, by primary key, instead of flattening it into a
    join (OFFSET 0 stops the flattening). With the visibility rule's ORs of subqueries, PostgreSQL
    can't estimate how many tickets pass and, joining, reads every ticket (a second at a million)
    to keep the few thousand rows a figure needs."""

    template = "EXISTS(%(subquery)s OFFSET 0)"


def report_scope(user: User, team_id: int | None) -> Scope:
    q = visible_tickets_q(user)
    return Scope(q if team_id is None else q & Q(team_id=team_id))


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / SECONDS_PER_MINUTE, 2)


def _person(row: dict, prefix: str) -> dict:
    values = {column: row[f"{prefix}__{column}"] for column in USER_VALUE_FIELDS}
    values["display_name"] = display_name_of(
        values["name"], values["first_name"], values["last_name"], values["email"], values["username"]
    )
    return values


def _done_at():
    # The moment the ticket last became finished work: resolved, or closed without being resolved.
    # Both stamps are cleared on reopen (tickets.services.ticket_transition), so this is the current one.
    return Coalesce("resolved_at", "closed_at")


def backlog(scope: Scope) -> dict:
    """Open tickets now (any status but resolved/closed), by status, priority and team. One query."""
    rows = (
        scope.tickets()
        .exclude(status__in=DONE_STATUSES)
        .order_by()
        .values("status", "priority", "team_id", "team__name")
        # COUNT(*), not COUNT(id): the columns are all in the ticket_open_backlog index (index-only scan).
        .annotate(n=Count("*"), unassigned=Count("status", filter=Q(assignee__isnull=True)))
    )
    by_status = dict.fromkeys(OPEN_STATUSES, 0)
    by_priority = {priority.label: 0 for priority in Priority}
    by_team: dict[int | None, dict] = {}
    unassigned = 0
    for row in rows:
        by_status[row["status"]] += row["n"]
        by_priority[Priority(row["priority"]).label] += row["n"]
        unassigned += row["unassigned"]
        team = by_team.setdefault(
            row["team_id"],
            {"team": {"id": row["team_id"], "name": row["team__name"]} if row["team_id"] else None, "open": 0},
        )
        team["open"] += row["n"]
    return {
        "total": sum(by_status.values()),
        "unassigned": unassigned,
        "by_status": by_status,
        "by_priority": by_priority,
        "by_team": sorted(by_team.values(), key=lambda t: (-t["open"], t["team"]["name"] if t["team"] else "")),
    }


def created_vs_resolved(scope: Scope, period: ReportPeriod) -> list[dict]:
    tickets = scope.tickets()
    """Per day of the period in its timezone: tickets created, and tickets that became resolved/closed."""
    created = (
        tickets.filter(created_at__gte=period.start, created_at__lt=period.end)
        .annotate(day=TruncDate("created_at", tzinfo=period.tz))
        .order_by()
        .values("day")
        .annotate(n=Count("*"))
    )
    resolved = (
        tickets.annotate(done_at=_done_at())
        .filter(done_at__gte=period.start, done_at__lt=period.end)
        .annotate(day=TruncDate("done_at", tzinfo=period.tz))
        .order_by()
        .values("day")
        .annotate(n=Count("id"))
    )
    created_by_day = {row["day"]: row["n"] for row in created}
    resolved_by_day = {row["day"]: row["n"] for row in resolved}
    return [
        {"date": day, "created": created_by_day.get(day, 0), "resolved": resolved_by_day.get(day, 0)}
        for day in period.days
    ]


def _duration_figure(rows: QuerySet, value: str) -> dict:
    count, (median, p90) = percentiles(rows, value=value, fractions=(0.5, 0.9))[None]
    return {"count": count, "median_minutes": _minutes(median), "p90_minutes": _minutes(p90)}


def _clock(kind: str) -> FilteredRelation:
    """The ticket's SLA clock of `kind` (at most one: `sla_clock_once_per_kind`), joined as `clock`."""
    return FilteredRelation("sla_record__clocks", condition=Q(sla_record__clocks__kind=kind))


def _staff_reply_at(moment: str) -> Exists:
    """A public comment by staff other than the requester at exactly `moment` (an outer field): the
    first response the SLA's first-response clock stopped at (apps.sla.clocks)."""
    return Exists(
        Comment.objects.filter(
            ticket_id=OuterRef("pk"), internal=False, created_at=OuterRef(moment), author__role__in=STAFF_ROLES
        ).exclude(author_id=OuterRef("requester_id"))
    )


def first_response(scope: Scope, period: ReportPeriod) -> dict:
    """Time from creation to the first public comment by staff (an agent or admin other than the
    requester; API.md "SLA"), over tickets created in the period that have one."""
    # In the join itself, so only comments written since the period began are read (by their index):
    # a reply to a ticket created in the period can't be older than the period.
    replies = FilteredRelation(
        "comments", condition=Q(comments__internal=False, comments__created_at__gte=period.start)
    )
    by_staff = Q(replies__author__role__in=STAFF_ROLES) & ~Q(replies__author_id=F("requester_id"))
    rows = (
        scope.tickets()
        .filter(created_at__gte=period.start, created_at__lt=period.end)
        .annotate(replies=replies)
        .annotate(first_response_at=Min("replies__created_at", filter=by_staff))
        .annotate(seconds=EpochSeconds("first_response_at") - EpochSeconds("created_at"))
    )
    return {**_duration_figure(rows, "seconds"), "business": first_response_business(scope, period)}


def first_response_business(scope: Scope, period: ReportPeriod) -> dict:
    """Business time to the first response, over the tickets of `first_response` whose SLA
    first-response clock stopped at that reply: what the clock counted (apps.sla `counted_seconds`:
    business time of the policy's calendar, paused statuses left out)."""
    rows = (
        scope.tickets()
        .filter(created_at__gte=period.start, created_at__lt=period.end)
        .annotate(clock=_clock(ClockKind.FIRST_RESPONSE))
        .filter(clock__counted_seconds__isnull=False)
        .filter(_staff_reply_at("clock__stopped_at"))
        .annotate(seconds=F("clock__counted_seconds"))
    )
    return _duration_figure(rows, "seconds")


def resolution(scope: Scope, period: ReportPeriod) -> dict:
    """Time from creation to resolution (or closing), over tickets that became resolved/closed in the
    period; a reopened ticket counts from creation to its latest resolution."""
    rows = (
        scope.tickets()
        .annotate(done_at=_done_at())
        .filter(done_at__gte=period.start, done_at__lt=period.end)
        .annotate(seconds=EpochSeconds("done_at") - EpochSeconds("created_at"))
    )
    return {**_duration_figure(rows, "seconds"), "business": resolution_business(scope, period)}


def resolution_business(scope: Scope, period: ReportPeriod) -> dict:
    """Business time to resolution, over the tickets of `resolution` whose SLA resolution clock has
    stopped: what the clock counted (business time of the policy's calendar; paused statuses and
    time spent resolved before a reopen left out)."""
    rows = (
        scope.tickets()
        .annotate(done_at=_done_at())
        .filter(done_at__gte=period.start, done_at__lt=period.end)
        .annotate(clock=_clock(ClockKind.RESOLUTION))
        .filter(clock__counted_seconds__isnull=False)
        .annotate(seconds=F("clock__counted_seconds"))
    )
    return _duration_figure(rows, "seconds")


def _share(met: int, breached: int) -> dict:
    total = met + breached
    return {"met": met, "breached": breached, "met_percent": round(100 * met / total, 1) if total else None}


def sla(scope: Scope, period: ReportPeriod) -> dict:
    """SLA targets met and breached in the period, overall, per clock and per policy, and the open
    tickets with a breached clock now. A target's outcome is known — and counted in the period it
    falls in — when its clock stops by its due time (met, at the stop) or when the due time passes
    first (breached, at `breached_at`, which apps.sla stamps with the due time, whether or not the
    clock stopped since). Three queries."""
    clocks = (
        scope.of(SlaClock.objects.all(), ticket_field="ticket_sla_id")
        .annotate(decided_at=Coalesce("breached_at", "stopped_at"))
        .filter(decided_at__gte=period.start, decided_at__lt=period.end)
        .order_by()
        .values("ticket_sla__policy_name", "kind")
        .annotate(
            met=Count("pk", filter=Q(breached_at__isnull=True, state=ClockState.MET)),
            breached=Count("pk", filter=Q(breached_at__isnull=False) | ~Q(state=ClockState.MET)),
        )
    )
    totals = {kind: [0, 0] for kind in ClockKind.values}
    policies: dict[str, dict[str, list[int]]] = {}
    for row in clocks:
        per_kind = policies.setdefault(row["ticket_sla__policy_name"], {kind: [0, 0] for kind in ClockKind.values})
        for counts in (per_kind[row["kind"]], totals[row["kind"]]):
            counts[0] += row["met"]
            counts[1] += row["breached"]

    def shares(per_kind: dict[str, list[int]]) -> dict:
        met, breached = (sum(counts[i] for counts in per_kind.values()) for i in (0, 1))
        return {**_share(met, breached), **{kind: _share(*counts) for kind, counts in per_kind.items()}}

    breached_open = scope.tickets().exclude(status__in=DONE_STATUSES).filter(sla_breached=True).count()
    return {
        **shares(totals),
        "breached_open": breached_open,
        "policies_defined": SlaPolicy.objects.exists(),
        "by_policy": [{"policy": name, **shares(per_kind)} for name, per_kind in sorted(policies.items())],
    }


def approvals(scope: Scope, period: ReportPeriod, now: datetime) -> dict:
    """Approval requests on the tickets: pending now (count, oldest's age), and per workflow the
    requests decided (approved or rejected, not cancelled) in the period with their median time to decide."""
    requests = scope.of(ApprovalRequest.objects.all())
    pending = requests.filter(state=RequestState.PENDING).aggregate(n=Count("id"), oldest=Min("created_at"))
    decided = requests.filter(
        state__in=[RequestState.APPROVED, RequestState.REJECTED],
        finished_at__gte=period.start,
        finished_at__lt=period.end,
    ).annotate(seconds=EpochSeconds("finished_at") - EpochSeconds("created_at"))
    by_workflow = percentiles(decided, value="seconds", fractions=(0.5,), group="workflow_name")
    oldest = pending["oldest"]
    return {
        "pending": pending["n"],
        "oldest_pending_minutes": _minutes((now - oldest).total_seconds()) if oldest else None,
        "by_workflow": [
            {"workflow": name, "decided": count, "median_minutes": _minutes(median)}
            for name, (count, (median,)) in sorted(by_workflow.items())
        ],
    }


def workload(scope: Scope) -> list[dict]:
    """Open tickets per assignee (most loaded first), with how many of them are high or urgent."""
    people = [f"assignee__{column}" for column in USER_VALUE_FIELDS]
    rows = (
        scope.tickets()
        .exclude(status__in=DONE_STATUSES)
        .filter(assignee__isnull=False)
        .order_by()
        .values(*people)
        .annotate(open=Count("*"), high_priority=Count("priority", filter=Q(priority__gte=Priority.HIGH)))
        .order_by("-open", "assignee__name", "assignee__id")
    )
    return [
        {"user": _person(row, "assignee"), "open": row["open"], "high_priority": row["high_priority"]} for row in rows
    ]


def reopen_rate(scope: Scope, period: ReportPeriod) -> dict:
    """Of the tickets moved to resolved/closed in the period (activity log), the share moved back to an
    open status after the first such move in the period (at any time since)."""
    into_done = Q(new="resolved") | Q(new="closed")
    out_of_done = (Q(old="resolved") | Q(old="closed")) & ~into_done
    # One pass over the status changes since the period began, per ticket: its first move to done
    # in the period, and its last move out of done since.
    per_ticket = (
        scope.of(TicketEvent.objects.filter(kind="status_changed", created_at__gte=period.start))
        .order_by()
        .values("ticket_id")
        .annotate(
            finished=Min("created_at", filter=into_done & Q(created_at__lt=period.end)),
            last_reopen=Max("created_at", filter=out_of_done),
        )
        .filter(finished__isnull=False)
    )
    totals = per_ticket.aggregate(
        resolved=Count("ticket_id"), reopened=Count("ticket_id", filter=Q(last_reopen__gt=F("finished")))
    )
    rate = round(100 * totals["reopened"] / totals["resolved"], 1) if totals["resolved"] else None
    return {"resolved": totals["resolved"], "reopened": totals["reopened"], "rate_percent": rate}


def top_tags(scope: Scope, period: ReportPeriod) -> list[dict]:
    """The most used tags on tickets created in the period (ties by name)."""
    created = Q(ticket__created_at__gte=period.start, ticket__created_at__lt=period.end)
    # Always true of these rows, and lets the database read only the newest links by their ticket_id
    # index rather than every link of every ticket.
    since = scope.tickets().filter(created_at__gte=period.start).order_by()
    first_id = since.annotate(all=Value(1)).values("all").annotate(first=Min("pk")).values("first")
    rows = (
        scope.of(Ticket.tags.through.objects.filter(created, ticket_id__gte=Subquery(first_id)))
        .order_by()
        .values("tag__name")
        .annotate(n=Count("*"))
        .order_by("-n", "tag__name")[:TOP_TAGS]
    )
    return [{"tag": row["tag__name"], "count": row["n"]} for row in rows]


@contextmanager
def _figures_transaction():
    """PostgreSQL: the figures run in one transaction with JIT compilation off. At a million tickets
    several queries cost enough to trigger JIT, which then spends 20-40 ms compiling each of these
    short queries. (SQLite: no transaction; there it would take the database's write lock.)"""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


def dashboard(*, user: User, period: ReportPeriod, team_id: int | None, now: datetime | None = None) -> dict:
    """Every figure of GET /reports/dashboard for `user` (an agent or admin) over `period`."""
    now = now or timezone.now()
    scope = report_scope(user, team_id)
    with _figures_transaction():
        return {
            "period": {"from": period.first_day, "to": period.last_day, "tz": period.tz.key, "team": team_id},
            "generated_at": now,
            "backlog": backlog(scope),
            "created_vs_resolved": created_vs_resolved(scope, period),
            "first_response": first_response(scope, period),
            "resolution": resolution(scope, period),
            "approvals": approvals(scope, period, now),
            "workload": workload(scope),
            "sla": sla(scope, period),
            "reopen": reopen_rate(scope, period),
            "top_tags": top_tags(scope, period),
        }
