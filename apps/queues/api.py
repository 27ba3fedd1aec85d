from django.db import connection
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja import Status as Respond
from pydantic import Field

from apps.core.fields import Cursor, ParamId, ParamInt
from apps.core.schemas import ErrorOut
from apps.queues import selectors, services
from apps.queues.permissions import access_view
from apps.queues.schemas import ViewCountsOut, ViewCreateIn, ViewOut, ViewPage, ViewUpdateIn

router = Router(tags=["views"])

WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ViewListQuery(Schema):
    cursor: Cursor | None = None
    limit: ParamInt = Field(50, ge=1, le=100)


@router.get("/views", response={200: ViewPage, 422: ErrorOut})
def view_list(request: HttpRequest, query: Query[ViewListQuery]):
    """Saved views the caller may see: the built-ins first (agents and admins), then personal views and
    team views (their teams'; admins: every team's), oldest first."""
    items, next_cursor = selectors.view_list(user=request.auth, cursor=query.cursor, limit=query.limit)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/views/counts", response={200: ViewCountsOut})
def view_counts(request: HttpRequest):
    """Ticket counts of every view in the caller's sidebar, in one query whatever their number."""
    items = selectors.sidebar_items(request.auth)
    return {"counts": selectors.view_counts(user=request.auth, items=items, vendor=connection.vendor)}


@router.post("/views", response={201: ViewOut, **WRITE_ERRORS})
def view_create(request: HttpRequest, payload: ViewCreateIn):
    view = services.view_create(actor=request.auth, **payload.dict())
    return Respond(201, selectors.view_item(request.auth, view))


@router.get("/views/{view_id}", response={200: ViewOut, 404: ErrorOut})
def view_get(request: HttpRequest, view_id: ParamId):
    return selectors.view_item(request.auth, access_view(request.auth, view_id))


@router.patch("/views/{view_id}", response={200: ViewOut, **WRITE_ERRORS})
def view_update(request: HttpRequest, view_id: ParamId, payload: ViewUpdateIn):
    view = services.view_update(actor=request.auth, view_id=view_id, changes=payload.dict(exclude_unset=True))
    return selectors.view_item(request.auth, view)


@router.delete("/views/{view_id}", response={204: None, 403: ErrorOut, 404: ErrorOut})
def view_delete(request: HttpRequest, view_id: ParamId):
    services.view_delete(actor=request.auth, view_id=view_id)
    return Respond(204, None)
