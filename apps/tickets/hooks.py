"""Facts about tickets that apps above tickets own, plugged in at startup (dependency inversion).

tickets may not import the apps built on it (docs/architecture.md, "Dependency direction"), yet
some of its rules depend on them: whoever is an approver on a ticket may see it and hears its
events, and the ticket detail shows the latest approval request. The higher app registers its
answer here from its AppConfig.ready() (approvals: apps/approvals/apps.py); tickets asks through
the functions below. Providers are keyed by name, so a second registration replaces the first.
"""

from collections.abc import Callable, Iterable

from django.db.models import QuerySet

# name → f(user) → a values() subquery of ticket ids the user may see besides the ticket rules.
_visible_ticket_ids: dict[str, Callable] = {}
# name → f(ticket_id) → user ids in the ticket's audience besides requester and watchers.
_audience_user_ids: dict[str, Callable[[int], Iterable[int]]] = {}
# attribute → f(ticket_id) → the value TicketOut reads from that attribute of the detail.
_detail_fields: dict[str, Callable[[int], object]] = {}


def register_visible_ticket_ids(name: str, provider: Callable) -> None:
    """`provider(user)` returns a subquery (never a list: it sits inside Q(pk__in=...) of every
    ticket list) of ids of further tickets `user` may see."""
    _visible_ticket_ids[name] = provider


def register_audience_user_ids(name: str, provider: Callable[[int], Iterable[int]]) -> None:
    """`provider(ticket_id)` returns ids of further users who may see the ticket (its events' audience)."""
    _audience_user_ids[name] = provider


def register_detail_field(attribute: str, provider: Callable[[int], object]) -> None:
    """`provider(ticket_id)` gives the value of `attribute` on GET /tickets/{id} (a field of TicketOut)."""
    _detail_fields[attribute] = provider


def extra_visible_ticket_ids(user) -> list[QuerySet]:
    return [provider(user) for provider in _visible_ticket_ids.values()]


def extra_audience_user_ids(ticket_id: int) -> set[int]:
    return {user_id for provider in _audience_user_ids.values() for user_id in provider(ticket_id)}


def detail_fields(ticket_id: int) -> dict[str, object]:
    return {attribute: provider(ticket_id) for attribute, provider in _detail_fields.items()}
