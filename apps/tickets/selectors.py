"""Reads that feed ticket lists: filtering, full-text search, keyset (cursor) pagination."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db.models import BooleanField, Case, DateTimeField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from apps.accounts.models import USER_VALUE_FIELDS, Team, User, display_name_of
from apps.core.errors import NotFound, ValidationFailed
from apps.core.fields import DATETIME_MAX
from apps.core.pagination import INVALID_CURSOR, Keyset, decode_cursor, encode_cursor, keyset_page
from apps.tickets.models import Priority, Ticket, TicketEvent
from apps.tickets.permissions import visible_tickets_q

NUMBER_QUERY = re.compile(r"^\s*(?:hd-?)?([0-9]{1,12})\s*$", re.IGNORECASE)
# ts_rank is a float4; scaled to an integer so cursor comparisons are exact.
RANK_SCALE = 1_000_000
# Where tickets without a due date sort: the latest instant a due date may hold. Within the range
# every read is clamped to (apps.core.db), so a cursor carries it back unchanged; a ticket due at
# exactly that instant ties with undated ones, and the id breaks the tie.
FAR_FUTURE = DATETIME_MAX
EVENTS_KEYSET = Keyset(fields=("id",))

ORDERINGS = {
    "created": "created_at",
    "updated": "updated_at",
    "priority": "priority",
    "due": "due_sort",
    "sla_due": "sla_due",
}


@dataclass
class TicketFilters:
    status: list[str] | None = None
    priority: str | None = None
    type: str | None = None
    assignee: str | None = None  # "me", "none" or a user id
    requester: int | None = None
    team: int | None = None
    my_teams: bool | None = None  # only tickets of the caller's teams
    tag: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    q: str | None = None
    sla: str | None = None  # "breached" or "at_risk"
    ordering: str | None = None


def _after(key, last_id: int, descending: bool) -> Q:
    """Rows after the cursor's (key, id) when null keys follow all others (ordering=sla_due)."""
    if key is None:
        return Q(sort_key__isnull=True, id__lt=last_id) if descending else Q(sort_key__isnull=True, id__gt=last_id)
    if descending:
        after = Q(sort_key__lt=key) | Q(sort_key=key, id__lt=last_id)
    else:
        after = Q(sort_key__gt=key) | Q(sort_key=key, id__gt=last_id)
    return after | Q(sort_key__isnull=True)


def _nulls_last_page(ordered: "OrderedTickets", *, cursor: str | None, limit: int):
    """keyset_page for a key that may be null (no running SLA clock): nulls last either way, so the
    ascending order is the one index `ticket_sla_due` serves. Same signed, scoped cursors."""
    tickets = ordered.queryset
    if cursor:
        key, last_id = decode_cursor(cursor, scope=ordered.scope, length=2)
        if not isinstance(last_id, int):
            raise ValidationFailed({"cursor": INVALID_CURSOR})
        tickets = tickets.filter(_after(key, last_id, ordered.descending))
    rows = list(tickets.order_by(*ordered.order_by).values(*LIST_COLUMNS)[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor([rows[-1]["sort_key"], rows[-1]["id"]], scope=ordered.scope)


def filters_q(user: User, filters: TicketFilters, vendor: str) -> Q:
    """The list's filters (and `q`'s matching, not its ranking) as one condition on Ticket, visibility
    not included. The list filters with it; saved views' counts (apps.queues) aggregate over it, so
    a view's count is the list's total for the same filters by construction."""
    condition = Q()
    if filters.status:
        condition &= Q(status__in=filters.status)
    if filters.priority:
        condition &= Q(priority=Priority.from_name(filters.priority))
    if filters.type:
        condition &= Q(type=filters.type)
    if filters.assignee == "me":
        condition &= Q(assignee=user)
    elif filters.assignee == "none":
        condition &= Q(assignee__isnull=True)
    elif filters.assignee is not None:
        # The query schema lets only ASCII digits through besides "me" and "none".
        condition &= Q(assignee_id=int(filters.assignee))
    if filters.requester is not None:
        condition &= Q(requester_id=filters.requester)
    if filters.team is not None:
        condition &= Q(team_id=filters.team)
    if filters.my_teams:
        condition &= Q(team__in=User.teams.through.objects.filter(user_id=user.pk).values("team_id"))
    if filters.tag:
        condition &= Q(pk__in=Ticket.tags.through.objects.filter(tag__name=filters.tag.lower()).values("ticket_id"))
    if filters.created_after is not None:
        condition &= Q(created_at__gte=filters.created_after)
    if filters.created_before is not None:
        condition &= Q(created_at__lt=filters.created_before)
    if filters.sla == "breached":
        condition &= Q(sla_breached=True)
    elif filters.sla == "at_risk":
        # apps.sla keeps `sla_warning_at` = the earliest warning time of a running, unbreached clock.
        condition &= Q(sla_warning_at__lte=timezone.now(), sla_breached=False)
    q = (filters.q or "").strip()
    if q:
        condition &= _search_q(q, vendor)
    return condition


def _number_hit(q: str) -> Q:
    number = NUMBER_QUERY.match(q)
    return Q(number=int(number.group(1))) if number else Q(pk__in=[])


def _search_q(q: str, vendor: str) -> Q:
    """Which tickets `q` finds: full-text matches (every word, on SQLite) or the ticket numbered `q`."""
    if vendor == "postgresql":
        matches = RawSQL(
            "tickets_ticket.search_vector @@ websearch_to_tsquery('english', %s)", (q,), output_field=BooleanField()
        )
        return Q(matches) | _number_hit(q)
    in_text = Q()
    for word in _words(q):
        in_text &= Q(title__icontains=word) | Q(description__icontains=word)
    return in_text | _number_hit(q)


def _words(q: str) -> list[str]:
    return [word for word in q.split() if word][:8]


def _with_search(tickets: QuerySet[Ticket], q: str, vendor: str) -> QuerySet[Ticket]:
    """Annotates `sort_key` with an integer relevance (the matching itself is in `filters_q`)."""
    number_hit = _number_hit(q)
    if vendor == "postgresql":
        rank = RawSQL(
            "CAST(ts_rank(tickets_ticket.search_vector, websearch_to_tsquery('english', %s)) * %s AS integer)",
            (q, RANK_SCALE),
            output_field=IntegerField(),
        )
        return tickets.annotate(sort_key=Case(When(number_hit, then=Value(10 * RANK_SCALE)), default=rank))
    in_title = Q()
    for word in _words(q):
        in_title &= Q(title__icontains=word)
    return tickets.annotate(
        sort_key=Case(
            When(number_hit, then=Value(3)),
            When(in_title, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )


def ordered_tickets(*, user: User, filters: TicketFilters, vendor: str) -> "OrderedTickets":
    """The list's rows before paging: visible to `user`, filtered, searched, with `sort_key` annotated.

    Returns the queryset with its order (`.order_by`: sort_key then id) and cursor scope.
    The list pages it with a keyset cursor bound to the ordering (relevance when `q` is given without
    `ordering`); the CSV export (apps.reports) streams it whole — one place for the filters and the
    ordering of both.
    """
    tickets = Ticket.objects.filter(visible_tickets_q(user), filters_q(user, filters, vendor))
    ordering = filters.ordering
    q = (filters.q or "").strip()
    if filters.sla == "at_risk" and not ordering and not q:
        # An at-risk queue is worked nearest deadline first; it is also the order an index serves
        # (at-risk tickets are the old ones: newest-first would scan past every younger ticket).
        ordering = "sla_due"
    if q and not ordering:
        tickets = _with_search(tickets, q, vendor)
        descending = True
        scope = "tickets:relevance"
        nulls_last = False
    else:
        ordering = ordering or "-created"
        descending = ordering.startswith("-")
        field = ORDERINGS[ordering.lstrip("-")]
        if field == "due_sort":
            # Tickets without a due date sort after every dated one.
            tickets = tickets.annotate(
                sort_key=Case(
                    When(due_at__isnull=True, then=Value(FAR_FUTURE)), default=F("due_at"), output_field=DateTimeField()
                )
            )
        else:
            tickets = tickets.annotate(sort_key=F(field))
        scope = f"tickets:{ordering}"
        # No running SLA clock: no key. Such tickets follow all others in either direction.
        nulls_last = field == "sla_due"
    return OrderedTickets(tickets, descending, scope, nulls_last)


class OrderedTickets(NamedTuple):
    """The list's rows before paging (`sort_key` annotated) and how they are ordered."""

    queryset: QuerySet[Ticket]
    descending: bool
    scope: str  # what the list's cursors are bound to
    nulls_last: bool  # the key may be null (ordering=sla_due)

    @property
    def order_by(self) -> tuple:
        """(sort_key, id), ties broken by id so the order is total and a cursor is exact."""
        if self.nulls_last:
            key = F("sort_key").desc(nulls_last=True) if self.descending else F("sort_key").asc(nulls_last=True)
            return (key, "-id" if self.descending else "id")
        return ("-sort_key", "-id") if self.descending else ("sort_key", "id")


def ticket_list(
    *, user: User, filters: TicketFilters, cursor: str | None, limit: int, vendor: str
) -> tuple[list[Ticket], str | None]:
    """A page of list rows and the next page's cursor. The cursor is bound to the ordering (relevance
    when `q` is given without `ordering`), so one made for another ordering is a 422 on `cursor`."""
    ordered = ordered_tickets(user=user, filters=filters, vendor=vendor)
    if ordered.nulls_last:
        rows, next_cursor = _nulls_last_page(ordered, cursor=cursor, limit=limit)
        return _list_items(rows), next_cursor
    keyset = Keyset(fields=("sort_key", "id"), descending=ordered.descending)
    rows, next_cursor = keyset_page(
        ordered.queryset.values(*LIST_COLUMNS), keyset, scope=ordered.scope, cursor=cursor, limit=limit
    )
    return _list_items(rows), next_cursor


# Lists read plain rows (one query with the people and team joined, one for tags) instead of model
# instances: building ~150 model objects and reading them back costs more than the queries do.
_PEOPLE = ("requester", "assignee")
LIST_COLUMNS = (
    "id",
    "number",
    "title",
    "status",
    "priority",
    "type",
    "due_at",
    "created_at",
    "updated_at",
    "version",
    "sla",
    "sort_key",
    "team_id",
    "team__name",
    *(f"{person}__{column}" for person in _PEOPLE for column in USER_VALUE_FIELDS),
)


def _person(row: dict, prefix: str) -> dict | None:
    if row[f"{prefix}__id"] is None:
        return None
    values = {column: row[f"{prefix}__{column}"] for column in USER_VALUE_FIELDS}
    values["display_name"] = display_name_of(
        values["name"], values["first_name"], values["last_name"], values["email"], values["username"]
    )
    return values


def _list_items(rows: list[dict]) -> list[dict]:
    tags: dict[int, list[str]] = {row["id"]: [] for row in rows}
    for ticket_id, name in (
        Ticket.tags.through.objects.filter(ticket_id__in=tags)
        .order_by("tag__name")
        .values_list("ticket_id", "tag__name")
    ):
        tags[ticket_id].append(name)
    return [
        {
            **{
                key: row[key]
                for key in ("id", "title", "status", "type", "due_at", "created_at", "updated_at", "version", "sla")
            },
            "key": f"HD-{row['number']}",
            "priority_name": Priority(row["priority"]).label,
            "requester": _person(row, "requester"),
            "assignee": _person(row, "assignee"),
            "team": {"id": row["team_id"], "name": row["team__name"]} if row["team_id"] else None,
            "tags": tags[row["id"]],
        }
        for row in rows
    ]


def ticket_detail(*, user: User, ticket_id: int, after_write: bool = False) -> Ticket:
    """The ticket with everything its detail shows, in one visibility-checked fetch (404 otherwise).

    `after_write`: the answer to a write the caller just made (they saw the ticket to make it), read
    without the visibility check: moving a ticket to another team or unwatching it may leave the
    caller unable to see it any more, and the write still answers 200 with the ticket as written
    (its `permissions` then say what they may still do: nothing but read this answer)."""
    tickets = Ticket.objects.all() if after_write else Ticket.objects.filter(visible_tickets_q(user))
    ticket = (
        tickets.filter(pk=ticket_id)
        .select_related("requester", "assignee", "team")
        .prefetch_related("tags", "watchers")
        .first()
    )
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


def ticket_events(
    *, ticket: Ticket, user: User, staff: bool, cursor: str | None, limit: int
) -> tuple[list[TicketEvent], str | None]:
    """The activity log oldest first, a page at a time; a cursor is valid for this ticket's log only."""
    events = TicketEvent.objects.filter(ticket=ticket).select_related("actor")
    if not staff:
        events = events.filter(internal=False)
    items, next_cursor = keyset_page(
        events, EVENTS_KEYSET, scope=f"ticket-events:{ticket.pk}", cursor=cursor, limit=limit
    )
    return with_names(items), next_cursor


def _referenced(event: TicketEvent) -> tuple[list, list]:
    """(user ids, team ids) an activity row's payload names, by kind (see the services' ticket_log calls)."""
    old = event.old if isinstance(event.old, dict) else {}
    new = event.new if isinstance(event.new, dict) else {}
    if event.kind == "assigned":
        return [event.old, event.new], []
    if event.kind == "watcher_added":
        return [event.new], []
    if event.kind == "watcher_removed":
        return [event.old], []
    if event.kind == "updated":
        return [old.get("assignee_id"), new.get("assignee_id")], [old.get("team_id"), new.get("team_id")]
    if event.kind == "approval_decided":
        return [new.get("approver_id"), new.get("on_behalf_of")], []
    return [], []


def with_names(events: list[TicketEvent]) -> list[TicketEvent]:
    """Sets `event.names` on each row: {"user:<id>": display name, "team:<id>": name} for the people
    and teams its payload refers to by id, so an activity row reads "assigned to Alan Agent". Two
    queries for a page of any size (none when no row refers to anyone); ids of deleted rows are
    simply absent."""
    user_ids: set[int] = set()
    team_ids: set[int] = set()
    for event in events:
        users, teams = _referenced(event)
        user_ids.update(value for value in users if isinstance(value, int))
        team_ids.update(value for value in teams if isinstance(value, int))
    names: dict[str, str] = {}
    if user_ids:
        for row in User.objects.filter(pk__in=user_ids).values(*USER_VALUE_FIELDS):
            names[f"user:{row['id']}"] = display_name_of(
                row["name"], row["first_name"], row["last_name"], row["email"], row["username"]
            )
    if team_ids:
        names.update(
            {f"team:{pk}": name for pk, name in Team.objects.filter(pk__in=team_ids).values_list("pk", "name")}
        )
    for event in events:
        users, teams = _referenced(event)
        keys = [f"user:{value}" for value in users if isinstance(value, int)]
        keys += [f"team:{value}" for value in teams if isinstance(value, int)]
        event.names = {key: names[key] for key in keys if key in names}
    return events
