"""Reads of saved views: the caller's list (built-ins first, then stored views a page at a time)
and every sidebar view's ticket count in one query."""

from dataclasses import dataclass

from django.db.models import Count

from apps.accounts.models import User
from apps.core.pagination import Keyset, keyset_page
from apps.queues.builtins import BUILTIN_VIEWS
from apps.queues.filters import parse_filters
from apps.queues.models import SavedView
from apps.queues.permissions import may_change, sidebar_views_q, visible_views_q
from apps.tickets.models import Ticket
from apps.tickets.permissions import visible_tickets_q
from apps.tickets.selectors import filters_q

VIEWS_KEYSET = Keyset(fields=("id",))


@dataclass(frozen=True)
class ViewItem:
    """A view as the API shows it. `key`: the built-in's name or the stored view's id as text."""

    key: str
    id: int | None
    name: str
    scope: str  # builtin | personal | team
    team: dict | None
    filters: str
    ordering: str | None
    columns: list[str]
    editable: bool


def builtin_items(user: User) -> list[ViewItem]:
    if not user.is_staff_role:
        return []
    return [
        ViewItem(
            view.key, None, view.name, "builtin", None, view.filters, view.ordering or None, list(view.columns), False
        )
        for view in BUILTIN_VIEWS
    ]


def view_item(user: User, view: SavedView) -> ViewItem:
    team = {"id": view.team_id, "name": view.team.name} if view.team_id else None
    return ViewItem(
        str(view.pk),
        view.pk,
        view.name,
        view.scope,
        team,
        view.filters,
        view.ordering or None,
        list(view.columns),
        may_change(user, view),
    )


def view_list(*, user: User, cursor: str | None, limit: int) -> tuple[list[ViewItem], str | None]:
    """The first page starts with the built-ins (staff only), then the stored views the caller may
    see, oldest first; later pages hold stored views only."""
    views, next_cursor = keyset_page(
        SavedView.objects.filter(visible_views_q(user)).select_related("team"),
        VIEWS_KEYSET,
        scope="views",
        cursor=cursor,
        limit=limit,
    )
    items = [view_item(user, view) for view in views]
    return (items if cursor else builtin_items(user) + items), next_cursor


def sidebar_items(user: User) -> list[ViewItem]:
    """Built-ins, personal views and the caller's teams' views (bounded by services' limits)."""
    views = SavedView.objects.filter(sidebar_views_q(user)).select_related("team").order_by("id")
    return builtin_items(user) + [view_item(user, view) for view in views]


def view_counts(*, user: User, items: list[ViewItem], vendor: str) -> dict[str, int]:
    """{key: tickets the caller's list shows with the view's filters}, all in one aggregate query
    over the tickets the caller may see (the list's own condition: `filters_q`)."""
    if not items:
        return {}
    aggregates = {}
    for index, item in enumerate(items):
        condition = filters_q(user, parse_filters(item.filters), vendor)
        aggregates[f"view_{index}"] = Count("pk", filter=condition) if condition else Count("pk")
    totals = Ticket.objects.filter(visible_tickets_q(user)).aggregate(**aggregates)
    return {item.key: totals[f"view_{index}"] for index, item in enumerate(items)}
