"""CSV export of the ticket list: the list's own filtered, ordered rows, streamed in constant memory.

Rows come from `tickets.selectors.ordered_tickets` (the list's filters, search and ordering — one
place) through one database cursor: on PostgreSQL a server-side cursor inside a read transaction
(`iterator(chunk_size=...)`), on SQLite the connection's cursor read in chunks. The CSV is written
in the same worker thread a chunk at a time, so memory holds one chunk whatever the row count.
"""

import csv
import io
from collections.abc import AsyncIterator, Iterator
from contextlib import nullcontext
from datetime import datetime
from zoneinfo import ZoneInfo

from asgiref.sync import sync_to_async
from django.db import connection, transaction
from django.db.models import CharField, F, Func, QuerySet

from apps.accounts.models import USER_VALUE_FIELDS, User, display_name_of
from apps.tickets.models import Priority, Ticket
from apps.tickets.selectors import ORDER_BY, TicketFilters, ordered_tickets

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
    "tag_names",
    *_DATETIMES,
)

# OWASP "CSV Injection": a cell starting with one of these is read as a formula by spreadsheets.
# The full-width forms are included because some spreadsheets normalise them to the ASCII ones.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(cell: str) -> str:
    """A text cell a spreadsheet shows as text: formula-like cells get a leading apostrophe (OWASP)."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


class TagNames(Func):
    """The ticket's tag names, alphabetical, joined by ", " (a correlated subquery; NULL without tags)."""

    output_field = CharField()

    @staticmethod
    def _names_sql() -> str:
        link = Ticket.tags.through._meta.db_table
        tag = Ticket.tags.field.related_model._meta.db_table
        # Table names from the models' metadata; the ticket id is the compiled outer column.
        return (
            f'SELECT t."name" AS name FROM "{link}" l JOIN "{tag}" t ON t."id" = l."tag_id" '  # noqa: S608
            'WHERE l."ticket_id" = %(expressions)s'
        )

    def as_postgresql(self, compiler, connection, **extra):
        template = f"(SELECT string_agg(s.name, ', ' ORDER BY s.name) FROM ({self._names_sql()}) s)"  # noqa: S608
        return self.as_sql(compiler, connection, template=template)

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite's group_concat keeps the order of an ordered subquery.
        template = f"(SELECT group_concat(s.name, ', ') FROM ({self._names_sql()} ORDER BY t.\"name\") s)"  # noqa: S608
        return self.as_sql(compiler, connection, template=template)


def export_rows(*, user: User, filters: TicketFilters) -> QuerySet:
    """The list's rows for `user` and `filters`, in the list's order, as value tuples (see _VALUES)."""
    tickets, descending = ordered_tickets(user=user, filters=filters, vendor=connection.vendor)
    return tickets.annotate(tag_names=TagNames(F("pk"))).order_by(*ORDER_BY[descending]).values_list(*_VALUES)


def _cell_time(value: datetime | None, tz: ZoneInfo) -> str:
    # Wall-clock time in `tz` without an offset: the form spreadsheets read as a date-time.
    return value.astimezone(tz).replace(tzinfo=None).isoformat(" ", "seconds") if value else ""


def _person(row: tuple, start: int) -> tuple[str, str]:
    user_id, email, name, first_name, last_name, username, _role = row[start : start + len(USER_VALUE_FIELDS)]
    if user_id is None:
        return "", ""
    return display_name_of(name, first_name, last_name, email, username), email


def _csv_line(row: tuple, tz: ZoneInfo) -> list[str]:
    number, title, status, priority, type_, team = row[:6]
    requester, requester_email = _person(row, 6)
    assignee, assignee_email = _person(row, 6 + len(USER_VALUE_FIELDS))
    tags = row[6 + 2 * len(USER_VALUE_FIELDS)]
    times = row[7 + 2 * len(USER_VALUE_FIELDS) :]
    text = (
        f"HD-{number}",
        title,
        status,
        Priority(priority).label,
        type_,
        team or "",
        requester,
        requester_email,
        assignee,
        assignee_email,
        tags or "",
    )
    return [neutralise(cell) for cell in text] + [_cell_time(value, tz) for value in times]


def csv_chunks(rows: QuerySet, tz: ZoneInfo, *, chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """The CSV as UTF-8 byte chunks: a BOM and the header first, then about `chunk_rows` rows each.

    Runs its query when first advanced; holds one chunk of rows at a time. On PostgreSQL the read
    runs in a transaction so the server-side cursor streams rather than being materialised WITH HOLD
    (SQLite's transactions take the write lock here, so there it reads without one).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([header for header, _ in COLUMNS])
    with transaction.atomic() if connection.vendor == "postgresql" else nullcontext():
        for count, row in enumerate(rows.iterator(chunk_size=chunk_rows), start=1):
            writer.writerow(_csv_line(row, tz))
            if count % chunk_rows == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
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
