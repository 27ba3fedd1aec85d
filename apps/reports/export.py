"""CSV export of the ticket list: the list's own filtered, ordered rows, streamed in constant memory.

Rows come from `tickets.selectors.ordered_tickets` (the list's filters, search and ordering — one
place) through one database cursor: on PostgreSQL a server-side cursor inside a read transaction
(`iterator(chunk_size=...)`), on SQLite the connection's cursor read in chunks. The CSV is written
in the same worker thread a chunk at a time, so memory holds one chunk whatever the row count.
"""

import csv
import io
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import nullcontext
from datetime import datetime
from zoneinfo import ZoneInfo

from asgiref.sync import sync_to_async
from django.db import connection, transaction
from django.db.models import CharField, Func, QuerySet, Value

from apps.accounts.models import USER_VALUE_FIELDS, User, display_name_of
from apps.tickets.models import Priority, Ticket
from apps.tickets.selectors import TicketFilters, ordered_tickets

CHUNK_ROWS = 2000
BOM = "\ufeff"

# (header, what it holds) — docs/reports.md lists the same.
COLUMNS = (
    ("number", "Human key, e.g. HD-42"),
    ("title", "Title"),
    ("status", "Status name, e.g. in_progress"),
    ("priority", "low, normal, high or urgent"),
    ("type", "incident, service_request, change or question"),
    ("team", "Team name; empty for the triage queue"),
    ("requester", "Requester's display name"),
    ("requester_email", "Requester's email"),
    ("assignee", "Assignee's display name; empty when unassigned"),
    ("assignee_email", "Assignee's email"),
    ("tags", "Tag names, comma-separated, alphabetical"),
    ("created_at", "When it was raised"),
    ("updated_at", "Last change"),
    ("due_at", "Due date, if set"),
    ("resolved_at", "When it was last resolved; empty if not resolved now"),
    ("closed_at", "When it was closed; empty if not closed"),
)
_DATETIMES = ("created_at", "updated_at", "due_at", "resolved_at", "closed_at")
_PEOPLE = ("requester", "assignee")
_VALUES = (
    "number",
    "title",
    "status",
    "priority",
    "type",
    "team__name",
    *(f"{person}__{column}" for person in _PEOPLE for column in USER_VALUE_FIELDS),
)

# OWASP "CSV Injection": a cell starting with one of these is read as a formula by spreadsheets.
# The full-width forms are included because some spreadsheets normalise them to the ASCII ones.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


_FORMULA_FIRST = frozenset(FORMULA_STARTS)


def neutralise(cell: str) -> str:
    """A text cell a spreadsheet shows as text: formula-like cells get a leading apostrophe (OWASP).
    (`_csv_line` applies the same rule inline: it runs for every cell of every row.)"""
    return "'" + cell if cell[:1] in _FORMULA_FIRST else cell


class WallClock(Func):
    """PostgreSQL: a datetime as "YYYY-MM-DD HH:MM:SS" wall-clock text in a zone, formatted by the
    database (parsing and re-formatting every datetime in Python was a third of the export's time).
    Other databases read the datetime itself, which `_cell_time` formats the same way."""

    output_field = CharField()

    def __init__(self, expression, tz: ZoneInfo):
        super().__init__(expression, Value(tz.key))

    def as_postgresql(self, compiler, connection, **extra):
        template = "to_char(%(expressions)s, 'YYYY-MM-DD HH24:MI:SS')"
        return self.as_sql(compiler, connection, template=template, arg_joiner=" AT TIME ZONE ")


def export_rows(*, user: User, filters: TicketFilters, tz: ZoneInfo) -> QuerySet:
    """The list's rows for `user` and `filters`, in the list's order, as value tuples: id, _VALUES,
    then the _DATETIMES (text in `tz` on PostgreSQL, datetimes elsewhere)."""
    ordered = ordered_tickets(user=user, filters=filters, vendor=connection.vendor)
    tickets = ordered.queryset
    if connection.vendor == "postgresql":
        local = {f"{name}_local": WallClock(name, tz) for name in _DATETIMES}
        tickets, times = tickets.annotate(**local), list(local)
    else:
        times = list(_DATETIMES)
    return tickets.order_by(*ordered.order_by).values_list("id", *_VALUES, *times)


def _cell_time(value: datetime | str | None, tz: ZoneInfo) -> str:
    # Wall-clock time in `tz` without an offset: the form spreadsheets read as a date-time.
    if value is None or isinstance(value, str):
        return value or ""
    return value.astimezone(tz).replace(tzinfo=None).isoformat(" ", "seconds")


def _person(row: tuple, start: int) -> tuple[str, str]:
    user_id, email, name, first_name, last_name, username, _role = row[start : start + len(USER_VALUE_FIELDS)]
    if user_id is None:
        return "", ""
    return display_name_of(name, first_name, last_name, email, username), email


_PEOPLE_AT = 7
_TIMES_AT = _PEOPLE_AT + 2 * len(USER_VALUE_FIELDS)


def _csv_line(row: tuple, tags: str, tz: ZoneInfo) -> list[str]:
    number, title, status, priority, type_, team = row[1:_PEOPLE_AT]
    requester, requester_email = _person(row, _PEOPLE_AT)
    assignee, assignee_email = _person(row, _PEOPLE_AT + len(USER_VALUE_FIELDS))
    # People's text is neutralised; number, status, priority and type are the server's own words.
    typed = (title, team or "", requester, requester_email, assignee, assignee_email, tags)
    title, team, requester, requester_email, assignee, assignee_email, tags = (
        "'" + cell if cell[:1] in _FORMULA_FIRST else cell for cell in typed
    )
    return [
        f"HD-{number}",
        title,
        status,
        Priority(priority).label,
        type_,
        team,
        requester,
        requester_email,
        assignee,
        assignee_email,
        tags,
        *[_cell_time(value, tz) for value in row[_TIMES_AT:]],
    ]


def _tag_lists(ticket_ids: list[int]) -> dict[int, str]:
    """Tag names per ticket, alphabetical, joined by ", " — one query for a chunk of rows, with the ids
    as one array (PostgreSQL) or JSON (SQLite) parameter: 2000 placeholders cost more to bind than to run."""
    link = Ticket.tags.through._meta.db_table
    tag = Ticket.tags.field.related_model._meta.db_table
    ids = "= ANY(%s)" if connection.vendor == "postgresql" else "IN (SELECT value FROM json_each(%s))"
    names: dict[int, list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT l."ticket_id", t."name" FROM "{link}" l JOIN "{tag}" t ON t."id" = l."tag_id" '  # noqa: S608
            f'WHERE l."ticket_id" {ids} ORDER BY t."name"',
            [ticket_ids if connection.vendor == "postgresql" else json.dumps(ticket_ids)],
        )
        for ticket_id, name in cursor.fetchall():
            names.setdefault(ticket_id, []).append(name)
    return {ticket_id: ", ".join(tags) for ticket_id, tags in names.items()}


def _write(writer, batch: list[tuple], tz: ZoneInfo) -> None:
    tags = _tag_lists([row[0] for row in batch])
    writer.writerows(_csv_line(row, tags.get(row[0], ""), tz) for row in batch)


def csv_chunks(rows: QuerySet, tz: ZoneInfo, *, chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """The CSV as UTF-8 byte chunks: a BOM and the header first, then `chunk_rows` rows each.

    Runs its query when first advanced; holds one chunk of rows at a time, and reads the chunk's tags
    with one more query. On PostgreSQL the read runs in a transaction so the server-side cursor
    streams rather than being materialised WITH HOLD (SQLite's transactions take the write lock here,
    so there it reads without one).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([header for header, _ in COLUMNS])
    batch: list[tuple] = []
    with transaction.atomic() if connection.vendor == "postgresql" else nullcontext():
        for row in rows.iterator(chunk_size=chunk_rows):
            batch.append(row)
            if len(batch) == chunk_rows:
                _write(writer, batch, tz)
                batch.clear()
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        _write(writer, batch, tz)
    yield buffer.getvalue().encode()


async def stream(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """`chunks` for an ASGI StreamingHttpResponse: each chunk is produced in the request's sync thread
    (the same database connection throughout), and an early disconnect closes the generator there."""
    _end = object()
    try:
        while True:
            chunk = await sync_to_async(next)(chunks, _end)
            if chunk is _end:
                return
            yield chunk
    finally:
        await sync_to_async(chunks.close)()
