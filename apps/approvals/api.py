import json

from django.http import HttpRequest
from ninja import Query, Router
from ninja import Status as Respond
from pydantic import ValidationError as PydanticValidationError

from apps.approvals import delegations, selectors, services, workflows
from apps.approvals.presenters import present_approval
from apps.approvals.schemas import (
    ApprovalDetailOut,
    ApprovalListQuery,
    ApprovalPage,
    ApprovalStartIn,
    CancelIn,
    DecisionIn,
    DelegationIn,
    DelegationOut,
    DelegationQuery,
    DelegationUpdateIn,
    StepIn,
    WorkflowCreateIn,
    WorkflowOut,
    WorkflowUpdateIn,
)
from apps.approvals.workflows import StepSpec
from apps.core.errors import DomainError, NotFound, ValidationFailed, field_errors
from apps.core.fields import ParamId
from apps.core.schemas import ErrorOut
from apps.tickets.permissions import Viewer, access_ticket

router = Router(tags=["approvals"])

WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _detail(user, approval_id: int) -> dict:
    approval = selectors.approval_detail(user=user, approval_id=approval_id)
    return present_approval(
        approval, viewer=Viewer.of(user), stands_in_for=selectors.stand_in_for(user), with_steps=True
    )


def _spec(step: StepIn) -> StepSpec:
    return StepSpec(
        name=step.name,
        approver_kind=step.approver_kind,
        rule=step.rule,
        quorum=step.quorum,
        approver_ids=step.approver_ids,
        team_id=step.team_id,
        role=step.role,
    )


def _workflow(workflow_id: int):
    workflow = workflows.workflows_with_steps().filter(pk=workflow_id).first()
    if workflow is None:
        raise NotFound("No such approval workflow.")
    return workflow


# --- Workflows (admins define them) ---------------------------------------------------------


@router.get("/approvals/workflows", response={200: list[WorkflowOut], 403: ErrorOut})
def workflow_list(request: HttpRequest):
    """Every workflow (admins only). To offer workflows on a ticket, use /tickets/{id}/approval-workflows."""
    return list(workflows.workflow_list(actor=request.auth))


@router.get("/tickets/{ticket_id}/approval-workflows", response={200: list[WorkflowOut], 404: ErrorOut})
def workflows_for_ticket(request: HttpRequest, ticket_id: ParamId):
    """The workflows the caller may start on this ticket now (active, matching its type/team;
    self-service ones only for its requester)."""
    ticket = access_ticket(request.auth, ticket_id)
    return workflows.workflows_startable(actor=request.auth, ticket=ticket)


@router.post("/approvals/workflows", response={201: WorkflowOut, 403: ErrorOut, 422: ErrorOut})
def workflow_create(request: HttpRequest, payload: WorkflowCreateIn):
    data = payload.dict(exclude={"steps"})
    data["match_type"] = data["match_type"] or ""
    workflow = workflows.workflow_create(actor=request.auth, steps=[_spec(step) for step in payload.steps], **data)
    return Respond(201, _workflow(workflow.pk))


@router.patch("/approvals/workflows/{workflow_id}", response={200: WorkflowOut, **WRITE_ERRORS})
def workflow_update(request: HttpRequest, workflow_id: ParamId, payload: WorkflowUpdateIn):
    changes = payload.dict(exclude_unset=True)
    if "steps" in changes:
        changes["steps"] = [_spec(step) for step in payload.steps]
    workflow = workflows.workflow_update(actor=request.auth, workflow_id=workflow_id, changes=changes)
    return _workflow(workflow.pk)


# --- Delegations (each user manages their own) ----------------------------------------------


@router.get("/approvals/delegations", response=list[DelegationOut])
def delegation_list(request: HttpRequest, query: Query[DelegationQuery]):
    return list(delegations.delegation_list(actor=request.auth, received=query.received))


@router.post("/approvals/delegations", response={201: DelegationOut, 409: ErrorOut, 422: ErrorOut})
def delegation_create(request: HttpRequest, payload: DelegationIn):
    return Respond(201, delegations.delegation_create(actor=request.auth, **payload.dict()))


@router.patch("/approvals/delegations/{delegation_id}", response={200: DelegationOut, **WRITE_ERRORS})
def delegation_update(request: HttpRequest, delegation_id: ParamId, payload: DelegationUpdateIn):
    changes = payload.dict(exclude_unset=True)
    return delegations.delegation_update(actor=request.auth, delegation_id=delegation_id, changes=changes)


@router.delete("/approvals/delegations/{delegation_id}", response={204: None, 404: ErrorOut})
def delegation_delete(request: HttpRequest, delegation_id: ParamId):
    delegations.delegation_delete(actor=request.auth, delegation_id=delegation_id)
    return Respond(204, None)


# --- Requests -------------------------------------------------------------------------------


@router.post("/tickets/{ticket_id}/approvals", response={201: ApprovalDetailOut, **WRITE_ERRORS})
def approval_start(request: HttpRequest, ticket_id: ParamId, payload: ApprovalStartIn):
    """Starts a workflow on the ticket (staff of the ticket, or its requester for self-service workflows)."""
    approval = services.approval_start(actor=request.auth, ticket_id=ticket_id, workflow_id=payload.workflow_id)
    return Respond(201, _detail(request.auth, approval.pk))


@router.get("/approvals", response={200: ApprovalPage, 422: ErrorOut})
def approval_list(request: HttpRequest, query: Query[ApprovalListQuery]):
    """`?state=pending&mine=true` is the inbox: what waits for my decision, including as a delegate."""
    user = request.auth
    items, next_cursor = selectors.approval_list(
        user=user, state=query.state, mine=query.mine, cursor=query.cursor, limit=query.limit
    )
    stands_in_for, viewer = selectors.stand_in_for(user), Viewer.of(user)
    return {
        "items": [present_approval(a, viewer=viewer, stands_in_for=stands_in_for, with_steps=False) for a in items],
        "next_cursor": next_cursor,
    }


@router.get("/approvals/{approval_id}", response={200: ApprovalDetailOut, 404: ErrorOut})
def approval_detail(request: HttpRequest, approval_id: ParamId):
    return _detail(request.auth, approval_id)


@router.post("/approvals/{approval_id}/decision", response={200: ApprovalDetailOut, **WRITE_ERRORS})
def approval_decide(request: HttpRequest, approval_id: ParamId, payload: DecisionIn):
    services.approval_decide(actor=request.auth, approval_id=approval_id, **payload.dict())
    return _detail(request.auth, approval_id)


def _cancel_payload(body: bytes) -> CancelIn:
    """The body is optional (the SPA's cancel button sends none), so it is parsed here, not by Ninja."""
    if not body.strip():
        return CancelIn()
    try:
        data = json.loads(body)  # as Ninja's parser reads bodies, so the same values pass or fail
    except ValueError:
        raise DomainError("The request body is not valid JSON.", code="bad_request", status=400) from None
    try:
        return CancelIn.model_validate(data)
    except PydanticValidationError as error:
        raise ValidationFailed(field_errors(error.errors())) from None


@router.post(
    "/approvals/{approval_id}/cancel",
    response={200: ApprovalDetailOut, **WRITE_ERRORS},
    openapi_extra={
        "requestBody": {"required": False, "content": {"application/json": {"schema": CancelIn.model_json_schema()}}}
    },
)
def approval_cancel(request: HttpRequest, approval_id: ParamId):
    """Cancels a pending request; the ticket returns to open. Body optional: {"reason"}."""
    payload = _cancel_payload(request.body)
    services.approval_cancel(actor=request.auth, approval_id=approval_id, reason=payload.reason)
    return _detail(request.auth, approval_id)
