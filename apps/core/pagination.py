"""Keyset ("cursor") pagination for every list endpoint, with opaque signed cursors.

    KEYSET = Keyset(fields=("id",))                       # oldest first, by id
    items, next_cursor = keyset_page(comments, KEYSET, scope=f"comments:{ticket.pk}", cursor=cursor, limit=limit)

A page is the next `limit` rows after the cursor's row in the keyset's order (one query, `limit + 1`
rows to learn whether there is more). The cursor is the last row's key values signed with Django's
`signing` (SECRET_KEY, with SECRET_KEY_FALLBACKS honoured) and salted with the `scope` it was made
for, so the server only ever reads cursors it wrote for this list: a tampered one, one from another
endpoint, ordering or parent object is a 422 on `cursor` (API.md "Input rules"). Cursors don't
expire; a row deleted meanwhile is no problem, since the next page starts after its key values.

The scope names what the cursor's values mean: include the ordering (`tickets:-created`) and any
parent object (`comments:42`). The last field must be unique (the id) so the order is total.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet

from apps.core.errors import ValidationFailed

INVALID_CURSOR = "The cursor is not valid for this list; start again from the first page."


@dataclass(frozen=True)
class Keyset:
    """An order over `fields` (model fields or annotations), all ascending or all descending."""

    fields: Sequence[str]
    descending: bool = False

    @property
    def order_by(self) -> list[str]:
        return [f"-{field}" if self.descending else field for field in self.fields]

    def after(self, values: Sequence[Any]) -> Q:
        """Rows strictly after `values` in this order: (a > x) or (a = x and b > y) or ..."""
        op = "lt" if self.descending else "gt"
        condition = Q()
        equal_so_far = Q()
        for field, value in zip(self.fields, values, strict=True):
            condition |= equal_so_far & Q(**{f"{field}__{op}": value})
            equal_so_far &= Q(**{field: value})
        return condition


def _salt(scope: str) -> str:
    return f"helpdesk.cursor:{scope}"


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if value is None or isinstance(value, int | str):
        return value
    raise TypeError(f"a keyset value must be an int, str, datetime or None, not {type(value).__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        return datetime.fromisoformat(value["dt"])
    return value


def encode_cursor(values: Sequence[Any], *, scope: str) -> str:
    return signing.Signer(salt=_salt(scope)).sign_object([_encode(value) for value in values])


def decode_cursor(cursor: str, *, scope: str, length: int) -> list[Any]:
    """The key values a cursor of this scope carries; ValidationFailed on `cursor` for anything else."""
    try:
        values = signing.Signer(salt=_salt(scope)).unsign_object(cursor)
        if not isinstance(values, list) or len(values) != length:
            raise ValueError("wrong shape")
        return [_decode(value) for value in values]
    except (signing.BadSignature, ValueError, TypeError, KeyError) as exc:
        raise ValidationFailed({"cursor": INVALID_CURSOR}) from exc


def _value(row: Any, field: str) -> Any:
    return row[field] if isinstance(row, dict) else getattr(row, field)


def keyset_page(
    queryset: QuerySet, keyset: Keyset, *, scope: str, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """(rows of this page, cursor of the next page or None). Rows are what the queryset yields
    (model instances or `.values()` dicts); the keyset's fields must be readable on them."""
    if cursor:
        queryset = queryset.filter(keyset.after(decode_cursor(cursor, scope=scope, length=len(keyset.fields))))
    rows = list(queryset.order_by(*keyset.order_by)[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor([_value(rows[-1], field) for field in keyset.fields], scope=scope)
