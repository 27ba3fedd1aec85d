from django.http import HttpRequest
from ninja import Router
from ninja import Status as Respond

from apps.core.fields import ParamId
from apps.core.schemas import ErrorOut
from apps.sla import selectors, services
from apps.sla.schemas import (
    CalendarIn,
    CalendarList,
    CalendarOut,
    CalendarUpdateIn,
    PolicyIn,
    PolicyList,
    PolicyOut,
    PolicyUpdateIn,
    TicketSlaOut,
)

router = Router(tags=["sla"])

READ_ERRORS = {403: ErrorOut}
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.get("/sla/calendars", response={200: CalendarList, **READ_ERRORS})
def calendar_list(request: HttpRequest):
    """Business calendars, by name (admins only)."""
    return {"items": list(selectors.calendar_list(actor=request.auth))}


@router.post("/sla/calendars", response={201: CalendarOut, **WRITE_ERRORS})
def calendar_create(request: HttpRequest, payload: CalendarIn):
    """A calendar with no working time at all is refused (422 on `hours`)."""
    return Respond(201, services.calendar_create(actor=request.auth, **payload.dict()))


@router.get("/sla/calendars/{calendar_id}", response={200: CalendarOut, 403: ErrorOut, 404: ErrorOut})
def calendar_get(request: HttpRequest, calendar_id: ParamId):
    return selectors.calendar_get(actor=request.auth, calendar_id=calendar_id)


@router.patch("/sla/calendars/{calendar_id}", response={200: CalendarOut, **WRITE_ERRORS})
def calendar_update(request: HttpRequest, calendar_id: ParamId, payload: CalendarUpdateIn):
    """Changing working time or holidays recomputes the open clocks on this calendar in the background."""
    changes = payload.dict(exclude_unset=True)
    return services.calendar_update(actor=request.auth, calendar_id=calendar_id, changes=changes)


@router.delete("/sla/calendars/{calendar_id}", response={204: None, **WRITE_ERRORS})
def calendar_delete(request: HttpRequest, calendar_id: ParamId):
    """409 `calendar_in_use` while a policy or an open clock uses it."""
    services.calendar_delete(actor=request.auth, calendar_id=calendar_id)
    return Respond(204, None)


@router.get("/sla/policies", response={200: PolicyList, **READ_ERRORS})
def policy_list(request: HttpRequest):
    """SLA policies in the order they are matched (admins only)."""
    return {"items": list(selectors.policy_list(actor=request.auth))}


@router.post("/sla/policies", response={201: PolicyOut, **WRITE_ERRORS})
def policy_create(request: HttpRequest, payload: PolicyIn):
    return Respond(201, services.policy_create(actor=request.auth, **payload.dict()))


@router.get("/sla/policies/{policy_id}", response={200: PolicyOut, 403: ErrorOut, 404: ErrorOut})
def policy_get(request: HttpRequest, policy_id: ParamId):
    return selectors.policy_get(actor=request.auth, policy_id=policy_id)


@router.patch("/sla/policies/{policy_id}", response={200: PolicyOut, **WRITE_ERRORS})
def policy_update(request: HttpRequest, policy_id: ParamId, payload: PolicyUpdateIn):
    """Running clocks keep the targets they started with; the change applies to tickets matched from now on."""
    changes = payload.dict(exclude_unset=True)
    return services.policy_update(actor=request.auth, policy_id=policy_id, changes=changes)


@router.delete("/sla/policies/{policy_id}", response={204: None, **WRITE_ERRORS})
def policy_delete(request: HttpRequest, policy_id: ParamId):
    """Running clocks keep their targets."""
    services.policy_delete(actor=request.auth, policy_id=policy_id)
    return Respond(204, None)


@router.get("/tickets/{ticket_id}/sla", response={200: TicketSlaOut | None, 404: ErrorOut})
def ticket_sla(request: HttpRequest, ticket_id: ParamId):
    """Both clocks of the ticket with their history; null when no policy applies."""
    return selectors.ticket_sla_detail(actor=request.auth, ticket_id=ticket_id)
