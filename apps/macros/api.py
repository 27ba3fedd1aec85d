from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja import Status as Respond
from pydantic import Field

from apps.comments.selectors import comment_for_output
from apps.core.fields import Cursor, ParamId, ParamInt, Text
from apps.core.schemas import ErrorOut
from apps.macros import selectors, services
from apps.macros.permissions import access_macro
from apps.macros.placeholders import PLACEHOLDERS
from apps.macros.schemas import (
    MacroApplyIn,
    MacroApplyOut,
    MacroCreateIn,
    MacroOut,
    MacroPage,
    MacroPreviewOut,
    MacroUpdateIn,
    PlaceholderOut,
)
from apps.tickets.api import _detail as ticket_detail
from apps.tickets.permissions import access_ticket

router = Router(tags=["macros"])

WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class MacroListQuery(Schema):
    q: Text | None = Field(None, max_length=100, description="Matches name or body, any letter case")
    cursor: Cursor | None = None
    limit: ParamInt = Field(50, ge=1, le=100)


@router.get("/macros", response={200: MacroPage, 422: ErrorOut})
def macro_list(request: HttpRequest, query: Query[MacroListQuery]):
    """Macros the caller may use, by name: their own personal ones, their teams' and the global ones
    (requesters: only global public ones). Each carries `permissions` for the caller."""
    items, next_cursor = selectors.macro_list(user=request.auth, q=query.q, cursor=query.cursor, limit=query.limit)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/macros/placeholders", response=list[PlaceholderOut])
def macro_placeholders(request: HttpRequest):
    """The placeholders a macro body may use; anything else in {{...}} is refused on save."""
    return [{"name": name, **vars(placeholder)} for name, placeholder in PLACEHOLDERS.items()]


@router.post("/macros", response={201: MacroOut, 403: ErrorOut, 422: ErrorOut})
def macro_create(request: HttpRequest, payload: MacroCreateIn):
    """Agents create personal macros and macros of their teams; admins also global ones."""
    macro = services.macro_create(actor=request.auth, **payload.dict())
    return Respond(201, selectors.macro_for_output(user=request.auth, macro_id=macro.pk))


@router.get("/macros/{macro_id}", response={200: MacroOut, 404: ErrorOut})
def macro_get(request: HttpRequest, macro_id: ParamId):
    macro = access_macro(request.auth, macro_id)
    return selectors.macro_for_output(user=request.auth, macro_id=macro.pk)


@router.patch("/macros/{macro_id}", response={200: MacroOut, **WRITE_ERRORS})
def macro_update(request: HttpRequest, macro_id: ParamId, payload: MacroUpdateIn):
    """Changes only the fields sent. Send the `version` you read; a stale one is 409 `stale_version`."""
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    macro = services.macro_update(actor=request.auth, macro_id=macro_id, version=version, changes=changes)
    return selectors.macro_for_output(user=request.auth, macro_id=macro.pk)


@router.delete("/macros/{macro_id}", response={204: None, 403: ErrorOut, 404: ErrorOut})
def macro_delete(request: HttpRequest, macro_id: ParamId):
    services.macro_delete(actor=request.auth, macro_id=macro_id)
    return Respond(204, None)


@router.get("/tickets/{ticket_id}/macros/{macro_id}/preview", response={200: MacroPreviewOut, 404: ErrorOut})
def macro_preview(request: HttpRequest, ticket_id: ParamId, macro_id: ParamId):
    """The reply the macro would post on this ticket (placeholders filled) and its actions, in words."""
    macro = access_macro(request.auth, macro_id)
    ticket = access_ticket(request.auth, ticket_id)
    body = services.macro_render(actor=request.auth, ticket=ticket, macro=macro)
    return {"body": body, "internal": macro.internal, "actions": services.action_summary(macro)}


@router.post("/tickets/{ticket_id}/macros/{macro_id}/apply", response={200: MacroApplyOut, **WRITE_ERRORS})
def macro_apply(request: HttpRequest, ticket_id: ParamId, macro_id: ParamId, payload: MacroApplyIn):
    """Posts the macro's reply and makes its actions (assignee, priority, status) in one step, through
    the same services as doing each by hand; if any is refused, none happens."""
    applied = services.macro_apply(actor=request.auth, ticket_id=ticket_id, macro_id=macro_id, body=payload.body)
    return {
        "comment": comment_for_output(applied.comment.pk),
        "ticket": ticket_detail(request.auth, ticket_id, after_write=True),
        "actions": applied.applied,
    }
