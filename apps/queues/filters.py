"""A view's filters are the ticket list's query string, checked by the list's own query schema
(apps.tickets.api.TicketFilterQuery): one set of rules for both, so a view shows exactly what
`GET /tickets?<filters>` shows, and its count is that list's total."""

import types
import typing
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.http import QueryDict
from pydantic import ValidationError

from apps.core.errors import ValidationFailed, field_errors
from apps.tickets.api import TicketFilterQuery
from apps.tickets.selectors import TicketFilters

# The view has its own `ordering`; paging belongs to whoever reads the list.
NOT_FILTERS = frozenset({"ordering", "cursor", "limit"})
FILTER_NAMES = tuple(name for name in TicketFilterQuery.model_fields if name not in NOT_FILTERS)


def _repeatable(name: str) -> bool:
    annotation = TicketFilterQuery.model_fields[name].annotation
    branches = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    return any(typing.get_origin(branch) is list for branch in branches)


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, list):
        return ",".join(value)
    return str(value)


def parse_filters(text: str) -> TicketFilters:
    """The list's filters from a query string such as `status=new,open&assignee=me`.

    Raises ValidationFailed (422) keyed `filters.<name>` for a value the list would refuse, a name
    the list doesn't filter on (`ordering` included: a view has its own), or a name given twice
    where the list takes one value.
    """
    params = QueryDict(text)
    errors: dict[str, list[str]] = {}
    data = {}
    for name in params:
        if name == "ordering":
            errors["filters.ordering"] = ["A view's ordering is its own field, not a filter."]
        elif name not in FILTER_NAMES:
            errors[f"filters.{name}"] = [f"The ticket list has no filter '{name}'."]
        elif _repeatable(name):
            data[name] = params.getlist(name)
        elif len(params.getlist(name)) > 1:
            errors[f"filters.{name}"] = ["Give this filter once."]
        else:
            data[name] = params[name]
    try:
        query = TicketFilterQuery.model_validate(data)
    except ValidationError as exc:
        for name, messages in field_errors(exc.errors()).items():
            errors.setdefault(f"filters.{name.split('.')[0]}", []).extend(messages)
    if errors:
        raise ValidationFailed(errors)
    return TicketFilters(**query.model_dump(exclude={"ordering"}))


def normalise_filters(text: str) -> str:
    """The query string as stored and returned: checked, in the list's parameter order, no empties."""
    filters = parse_filters(text)
    values = [(name, getattr(filters, name)) for name in FILTER_NAMES]
    return urlencode([(name, _text(value)) for name, value in values if value not in (None, "", [])], safe=",:")
