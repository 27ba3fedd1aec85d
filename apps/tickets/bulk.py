"""Bulk changes (API.md "Bulk changes"): one action on up to 200 tickets, each ticket through the
same service as its single-ticket endpoint, each in its own transaction, answered row by row.

Why per ticket and not one UPDATE: the services own every rule (workflow table, who may assign,
staff-only fields, optimistic versions, row locks), the activity row and the event; a bulk change
must not be a second implementation of any of them. A row that fails rolls back alone and
answers the code and message its single endpoint would have answered with.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from apps.accounts.models import User
from apps.core.errors import DomainError, ValidationFailed
from apps.tickets import services
from apps.tickets.models import Ticket
from apps.tickets.permissions import access_ticket, visible_tickets

# Which params each action takes (required, optional). Anything else sent is a 422 on that param.
PARAMS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "assign": (frozenset({"assignee_id"}), frozenset()),
    "transition": (frozenset({"status"}), frozenset({"reason"})),
    "set_priority": (frozenset({"priority"}), frozenset()),
    "set_team": (frozenset({"team_id"}), frozenset()),
    "add_tags": (frozenset({"tags"}), frozenset()),
    "remove_tags": (frozenset({"tags"}), frozenset()),
    "watch": (frozenset(), frozenset()),
    "unwatch": (frozenset(), frozenset()),
}
# Nullable params whose null means something (unassign, no team); for the others null is "missing".
NULL_MEANS_CLEAR = frozenset({"assignee_id", "team_id"})
MAX_TAGS = 20  # as TicketUpdateIn.tags allows


@dataclass(frozen=True)
class BulkResult:
    id: int
    ok: bool
    code: str | None = None
    message: str | None = None


def bulk_params(action: str, sent: dict) -> dict:
    """The params `action` takes, from what the client sent (`sent`: only the keys it sent).

    Raises ValidationFailed (422, `details.fields` keyed `params.<name>`) for a missing required
    param, an explicit null where null means nothing, or a param the action doesn't take.
    """
    required, optional = PARAMS[action]
    errors: dict[str, str] = {}
    for name in sorted(set(sent) - required - optional):
        errors[f"params.{name}"] = f"'{action}' takes no {name}."
    for name in sorted(required):
        if name not in sent or (sent[name] is None and name not in NULL_MEANS_CLEAR):
            errors[f"params.{name}"] = f"'{action}' needs {name}."
    if errors:
        raise ValidationFailed(errors)
    return {name: sent[name] for name in required | optional if name in sent}


@transaction.atomic
def _update_from_current(actor: User, ticket_id: int, changes_for: Callable[[Ticket], dict]) -> None:
    """ticket_update against the version read under the row lock: a bulk change is an absolute
    instruction ("priority high"), not an edit of a copy the client read earlier."""
    ticket = access_ticket(actor, ticket_id, for_update=True)
    services.ticket_update(actor=actor, ticket_id=ticket_id, version=ticket.version, changes=changes_for(ticket))


def _tag_names(ticket: Ticket) -> list[str]:
    return list(ticket.tags.order_by("name").values_list("name", flat=True))


def _add_tags(tags: list[str]) -> Callable[[Ticket], dict]:
    def changes(ticket: Ticket) -> dict:
        names = _tag_names(ticket)
        merged = names + [tag for tag in tags if tag not in names]
        if len(merged) > MAX_TAGS:
            raise ValidationFailed({"params.tags": f"A ticket has at most {MAX_TAGS} tags."})
        return {"tags": merged}

    return changes


def _remove_tags(tags: list[str]) -> Callable[[Ticket], dict]:
    return lambda ticket: {"tags": [name for name in _tag_names(ticket) if name not in tags]}


def _apply(actor: User, ticket_id: int, action: str, params: dict) -> None:
    if action == "assign":
        services.ticket_assign(actor=actor, ticket_id=ticket_id, assignee_id=params["assignee_id"])
    elif action == "transition":
        services.ticket_transition(
            actor=actor, ticket_id=ticket_id, status=params["status"], reason=params.get("reason", "")
        )
    elif action == "set_priority":
        _update_from_current(actor, ticket_id, lambda ticket: {"priority": params["priority"]})
    elif action == "set_team":
        _update_from_current(actor, ticket_id, lambda ticket: {"team_id": params["team_id"]})
    elif action == "add_tags":
        _update_from_current(actor, ticket_id, _add_tags(params["tags"]))
    elif action == "remove_tags":
        _update_from_current(actor, ticket_id, _remove_tags(params["tags"]))
    elif action == "watch":
        services.ticket_watch(actor=actor, ticket_id=ticket_id)
    elif action == "unwatch":
        services.ticket_unwatch(actor=actor, ticket_id=ticket_id)
    else:  # the schema admits only the actions above
        raise ValueError(f"unknown bulk action {action!r}")


def _message(error: DomainError) -> str:
    """The error's sentence; for a validation error, its field messages (a row has no details)."""
    fields = error.details.get("fields") if isinstance(error, ValidationFailed) else None
    if not fields:
        return error.message
    return " ".join(message for messages in fields.values() for message in messages)


def ticket_bulk(*, actor: User, ids: list[int], action: str, params: dict) -> list[BulkResult]:
    """Applies `action` with `params` (already checked by `bulk_params`) to each ticket of `ids`.

    Returns one BulkResult per distinct id, in the order sent: `ok`, or the `code`/`message` of the
    DomainError the single endpoint would have answered with (`not_found` for a ticket the actor
    can't see, `invalid_transition`, `staff_only`, `validation_error`, ...). Not atomic on purpose:
    each ticket commits (and announces) on its own, so one bad row never undoes the others and no
    lock is held longer than one ticket's change. An unchanged ticket (already assigned to that
    person) is `ok` with no activity row and no event, as on the single endpoint.
    """
    ids = list(dict.fromkeys(ids))
    visible = set(visible_tickets(actor).filter(pk__in=ids).values_list("pk", flat=True))
    results = []
    for ticket_id in ids:
        if ticket_id not in visible:
            results.append(BulkResult(ticket_id, False, "not_found", "No such ticket."))
            continue
        try:
            _apply(actor, ticket_id, action, params)
        except DomainError as error:
            results.append(BulkResult(ticket_id, False, error.code, _message(error)))
        else:
            results.append(BulkResult(ticket_id, True))
    return results
