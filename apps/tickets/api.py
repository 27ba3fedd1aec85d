from django.db import connection
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja import Status as Respond
from pydantic import Field, field_validator

from apps.core.fields import INT64_MAX, Cursor, DateTime, ParamBool, ParamId, ParamInt, Text
from apps.core.schemas import ErrorOut
from apps.tickets import bulk, hooks, selectors, services
from apps.tickets.models import Status, Ticket
from apps.tickets.permissions import access_ticket, allowed_transitions, is_staff_for, ticket_permissions
from apps.tickets.schemas import (
    AssignIn,
    BulkIn,
    BulkOut,
    Ordering,
    PriorityName,
    SlaFilter,
    TicketCreateIn,
    TicketDetail,
    TicketEventPage,
    TicketPage,
    TicketUpdateIn,
    TransitionIn,
    TypeName,
)

router = Router(tags=["tickets"])

ERRORS = {404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class TicketFilterQuery(Schema):
    """The list's filters and ordering; the CSV export (apps.reports) takes the same ones."""

    status: list[Text] | None = Field(None, description="One or more statuses (repeat the parameter or comma-separate)")
    priority: PriorityName | None = None
    type: TypeName | None = None
    assignee: str | None = Field(
        None, description="'me', 'none' (unassigned) or a user id", pattern=r"^(me|none|[1-9][0-9]{0,18})$"
    )
    requester: ParamId | None = None
    team: ParamId | None = None
    my_teams: ParamBool | None = Field(None, description="true: only tickets of the caller's teams")
    tag: Text | None = Field(None, max_length=50)
    created_after: DateTime | None = None
    created_before: DateTime | None = None
    q: Text | None = Field(
        None, max_length=200, description="Full-text search in title and description, or a number like HD-42"
    )
    sla: SlaFilter | None = Field(
        None, description="breached: some SLA clock breached; at_risk: a running clock passed its warning threshold"
    )
    ordering: Ordering | None = Field(
        None,
        description="Default: -created (sla_due with sla=at_risk), or relevance when q is given. "
        "sla_due: nearest SLA due time first",
    )

    @field_validator("assignee")
    @classmethod
    def assignee_id_in_range(cls, value: str | None) -> str | None:
        if value and value.isdigit() and int(value) > INT64_MAX:
            raise ValueError(f"A user id is at most {INT64_MAX}.")
        return value

    @field_validator("status")
    @classmethod
    def split_statuses(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        statuses = [part.strip() for item in value for part in item.split(",") if part.strip()]
        unknown = sorted(set(statuses) - set(Status.values))
        if unknown:
            raise ValueError(f"Unknown status: {', '.join(unknown)}. Use one of {', '.join(Status.values)}.")
        return statuses


class TicketListQuery(TicketFilterQuery):
    cursor: Cursor | None = None
    limit: ParamInt = Field(25, ge=1, le=100)


def _detail(user, ticket_id: int, *, after_write: bool) -> Ticket:
    """TicketDetail's object: the ticket, its transitions, approval and the caller's permissions.
    Writes answer with the ticket as written even if the caller can't see it any more (selectors)."""
    ticket = selectors.ticket_detail(user=user, ticket_id=ticket_id, after_write=after_write)
    staff = is_staff_for(user, ticket)
    ticket.allowed_transitions = allowed_transitions(user, ticket, staff=staff)
    ticket.permissions = ticket_permissions(user, ticket, staff=staff)
    for attribute, value in hooks.detail_fields(ticket.pk).items():  # approval (apps/approvals/apps.py)
        setattr(ticket, attribute, value)
    return ticket


@router.get("/tickets", response={200: TicketPage, 422: ErrorOut})
def ticket_list(request: HttpRequest, query: Query[TicketListQuery]):
    """Tickets the caller may see, newest first (or by relevance with `q`), with cursor pagination."""
    filters = selectors.TicketFilters(**query.dict(exclude={"cursor", "limit"}))
    items, next_cursor = selectors.ticket_list(
        user=request.auth, filters=filters, cursor=query.cursor, limit=query.limit, vendor=connection.vendor
    )
    return {"items": items, "next_cursor": next_cursor}


@router.post("/tickets", response={201: TicketDetail, 403: ErrorOut, 422: ErrorOut})
def ticket_create(request: HttpRequest, payload: TicketCreateIn):
    ticket = services.ticket_create(actor=request.auth, **payload.dict())
    return Respond(201, _detail(request.auth, ticket.pk, after_write=True))


@router.post("/tickets/bulk", response={200: BulkOut, 422: ErrorOut})
def ticket_bulk(request: HttpRequest, payload: BulkIn):
    """One action on up to 200 tickets, each through the single endpoint's service, one result row
    per distinct id: `ok`, or the `code` and `message` that endpoint would have answered with
    (`not_found` for a ticket you can't see). Actions and their `params`: `assign` (`assignee_id`,
    null unassigns), `transition` (`status`, `reason`?), `set_priority` (`priority`), `set_team`
    (`team_id`, null for the triage queue), `add_tags` / `remove_tags` (`tags`), `watch`, `unwatch`
    (none). A param the action doesn't take, or a missing one, is a 422."""
    params = bulk.bulk_params(payload.action, payload.params.dict(exclude_unset=True))
    results = bulk.ticket_bulk(actor=request.auth, ids=payload.ids, action=payload.action, params=params)
    return {"results": results}


@router.get("/tickets/{ticket_id}", response={200: TicketDetail, 404: ErrorOut})
def ticket_get(request: HttpRequest, ticket_id: ParamId):
    return _detail(request.auth, ticket_id, after_write=False)


@router.patch("/tickets/{ticket_id}", response={200: TicketDetail, **WRITE_ERRORS})
def ticket_update(request: HttpRequest, ticket_id: ParamId, payload: TicketUpdateIn):
    """Changes only the fields sent. Send the `version` you read; a stale one is a 409 `stale_version`."""
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    ticket = services.ticket_update(actor=request.auth, ticket_id=ticket_id, version=version, changes=changes)
    return _detail(request.auth, ticket.pk, after_write=True)


@router.delete("/tickets/{ticket_id}", response={204: None, 403: ErrorOut, 404: ErrorOut})
def ticket_delete(request: HttpRequest, ticket_id: ParamId):
    services.ticket_delete(actor=request.auth, ticket_id=ticket_id)
    return Respond(204, None)


@router.post("/tickets/{ticket_id}/transition", response={200: TicketDetail, **WRITE_ERRORS})
def ticket_transition(request: HttpRequest, ticket_id: ParamId, payload: TransitionIn):
    """Moves the ticket to `status` if the workflow allows it for the caller (see `allowed_transitions`)."""
    ticket = services.ticket_transition(
        actor=request.auth, ticket_id=ticket_id, status=payload.status, reason=payload.reason
    )
    return _detail(request.auth, ticket.pk, after_write=True)


@router.post("/tickets/{ticket_id}/assign", response={200: TicketDetail, **WRITE_ERRORS})
def ticket_assign(request: HttpRequest, ticket_id: ParamId, payload: AssignIn):
    ticket = services.ticket_assign(actor=request.auth, ticket_id=ticket_id, assignee_id=payload.assignee_id)
    return _detail(request.auth, ticket.pk, after_write=True)


@router.post("/tickets/{ticket_id}/watch", response={200: TicketDetail, **ERRORS})
def ticket_watch(request: HttpRequest, ticket_id: ParamId):
    """Follow the ticket: its changes then reach you like its requester."""
    ticket = services.ticket_watch(actor=request.auth, ticket_id=ticket_id)
    return _detail(request.auth, ticket.pk, after_write=True)


@router.delete("/tickets/{ticket_id}/watch", response={200: TicketDetail, **ERRORS})
def ticket_unwatch(request: HttpRequest, ticket_id: ParamId):
    ticket = services.ticket_unwatch(actor=request.auth, ticket_id=ticket_id)
    return _detail(request.auth, ticket.pk, after_write=True)


class EventQuery(Schema):
    cursor: Cursor | None = None
    limit: ParamInt = Field(50, ge=1, le=200)


@router.get("/tickets/{ticket_id}/events", response={200: TicketEventPage, **ERRORS})
def ticket_events(request: HttpRequest, ticket_id: ParamId, query: Query[EventQuery]):
    """The activity log, oldest first. Entries about internal notes are shown to staff only."""
    ticket = access_ticket(request.auth, ticket_id)
    items, next_cursor = selectors.ticket_events(
        ticket=ticket,
        user=request.auth,
        staff=request.auth.is_staff_role,
        cursor=query.cursor,
        limit=query.limit,
    )
    return {"items": items, "next_cursor": next_cursor}
