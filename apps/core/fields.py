"""Input field types: what any value the API accepts must be, so it is storable and comparable on
SQLite and PostgreSQL alike (API.md "Input rules that hold everywhere").

Use these in every input schema and for every query and path parameter; a bad value is then a 422
on that field, never a 500 further down:

    class TicketCreateIn(InputSchema):
        title: Text = Field(min_length=1, max_length=200)
        team_id: Id | None = None
        due_at: DateTime | None = None

    def ticket_get(request, ticket_id: ParamId): ...

The rules, each decided once here:
- Text never holds NUL (PostgreSQL can't store it) nor a lone UTF-16 surrogate (no UTF-8 encoding
  exists for it, so neither database driver can send it). The OpenAPI schema says so as a pattern.
- Integers are within signed 64 bits (BIGINT on both databases); ids are 1 or more. In a JSON body
  an integer is a JSON integer: `true`, `"5"` and `5.0` are refused (pydantic's lax mode would take
  `true` as 1). In a query or path an integer is plain ASCII decimal digits (lax mode would take
  "1_000", " 1" or "1.0").
- Booleans in a body are JSON booleans; in a query, `true` or `false`.
- Datetimes are RFC 3339 strings with a timezone (`Z` or an offset); a naive one, or a number
  (lax mode reads it as a Unix time), is refused. They are converted to UTC on the way in, and must
  then lie within [DATETIME_MIN, DATETIME_MAX]: a day inside Python's year 1..9999 on each side, so
  every stored instant can still be shown in any timezone.
"""

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, GetJsonSchemaHandler, Strict
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
DATETIME_MIN = datetime(1, 1, 2, tzinfo=UTC)
DATETIME_MAX = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)

# ECMA-262 (JSON Schema) pattern: no NUL. Lone surrogates are not in it on purpose: a JavaScript
# regex without the `u` flag would see every emoji's halves as lone surrogates.
NO_NUL_PATTERN = "^[^\\u0000]*$"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_DECIMAL = re.compile(r"-?[0-9]{1,20}")
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)


class InputSchema(Schema):
    """Base of every request body: unknown fields are refused (no mass assignment)."""

    model_config = ConfigDict(extra="forbid")


# --- text ---------------------------------------------------------------------------------------


def storable_text(value: str) -> str:
    """The text itself, or ValueError when it holds NUL or a lone surrogate."""
    bad = _UNSTORABLE.search(value)
    if bad is not None:
        what = "NUL characters" if bad.group() == "\x00" else "unpaired surrogate characters"
        raise ValueError(f"Text can't contain {what}.")
    return value


class _NoNulPattern:
    """Adds the no-NUL pattern to the JSON schema unless the field declares a stricter pattern of its own."""

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.setdefault("pattern", NO_NUL_PATTERN)
        return json_schema


Text = Annotated[str, Strict(), AfterValidator(storable_text), _NoNulPattern()]


# --- integers and booleans ----------------------------------------------------------------------


def _in_range(value: int, minimum: int) -> int:
    if not minimum <= value <= INT64_MAX:
        raise ValueError(f"Send a whole number from {minimum} to {INT64_MAX}.")
    return value


def _json_integer(minimum: int):
    def validate(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("Send a whole number (a JSON integer).")
        return _in_range(value, minimum)

    return BeforeValidator(validate)


def _param_integer(minimum: int):
    def validate(value: Any) -> int:
        if isinstance(value, str) and _DECIMAL.fullmatch(value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("Send a whole number in decimal digits.")
        return _in_range(value, minimum)

    return BeforeValidator(validate)


class _Int64Schema:
    """Documents the 64-bit range unless the field declares narrower bounds of its own."""

    def __init__(self, minimum: int):
        self.minimum = minimum

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.setdefault("minimum", self.minimum)
        json_schema.setdefault("maximum", INT64_MAX)
        return json_schema


def _param_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise ValueError("Send true or false.")


# The range is checked by the validators, not Field(ge=, le=): a field's own narrower Field bounds
# (`limit: ParamInt = Field(25, ge=1, le=100)`) then add to it instead of being overridden.
Int = Annotated[int, _json_integer(INT64_MIN), _Int64Schema(INT64_MIN)]
Id = Annotated[int, _json_integer(1), _Int64Schema(1)]
Bool = Annotated[bool, Strict()]
ParamInt = Annotated[int, _param_integer(INT64_MIN), _Int64Schema(INT64_MIN)]
ParamId = Annotated[int, _param_integer(1), _Int64Schema(1)]
ParamBool = Annotated[bool, BeforeValidator(_param_boolean)]


# --- datetimes ----------------------------------------------------------------------------------


def _rfc3339(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("Send an RFC 3339 date-time with a timezone, e.g. 2026-03-01T09:30:00Z.")
    return value


def utc_in_range(value: datetime) -> datetime:
    """The instant in UTC, or ValueError when it is naive or outside [DATETIME_MIN, DATETIME_MAX]."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("Give a timezone (Z or an offset such as +02:00).")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not DATETIME_MIN <= utc <= DATETIME_MAX:
        raise ValueError(
            f"The date-time must lie between {DATETIME_MIN.date().isoformat()} and "
            f"{DATETIME_MAX.date().isoformat()} once converted to UTC."
        )
    return utc


DateTime = Annotated[datetime, BeforeValidator(_rfc3339), AfterValidator(utc_in_range)]


# --- pagination ---------------------------------------------------------------------------------

# What apps.core.pagination writes: URL-safe base64 and Django signing's separator.
Cursor = Annotated[
    str,
    Field(
        max_length=400,
        pattern=r"^[A-Za-z0-9_:.\-]+$",
        description="`next_cursor` of the previous page, as given (opaque)",
    ),
]


def _omit_null_defaults(schema: dict[str, Any]) -> None:
    """A PATCH field that can't be null has no default in the schema: leaving it out means "unchanged"."""
    for prop in schema.get("properties", {}).values():
        nullable = prop.get("type") == "null" or any(branch.get("type") == "null" for branch in prop.get("anyOf", []))
        if prop.get("default", ...) is None and not nullable:
            del prop["default"]


class PatchSchema(InputSchema):
    """Base of partial-update bodies: only the fields sent change (read them with exclude_unset).

    Declare a field that may be cleared as `X | None = None`; one that can't as `X = None`
    (no `| None`): an explicit null for it is then a 422 on that field, not a silent no-op or a 500.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=_omit_null_defaults)
