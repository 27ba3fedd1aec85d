"""Workflow definitions (admin-only writes) and how a step's approvers resolve for a ticket."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet

from apps.accounts.models import Role, Team, User
from apps.approvals.models import ApprovalWorkflow, ApproverKind, Rule, WorkflowStep
from apps.approvals.permissions import may_start
from apps.core.errors import NotFound, PermissionDenied, ValidationFailed
from apps.tickets.models import Ticket
from apps.tickets.permissions import is_staff_for


@dataclass
class StepSpec:
    """A step as an admin describes it (API input, admin inline), before it is saved."""

    name: str
    approver_kind: str
    rule: str
    quorum: int | None = None
    approver_ids: list[int] = field(default_factory=list)
    team_id: int | None = None
    role: str = ""


def step_spec_errors(spec: StepSpec, *, known_user_ids: set[int], known_team_ids: set[int]) -> dict[str, str]:
    """What is wrong with one step definition, by field. Shared by the API and the admin inline."""
    errors: dict[str, str] = {}
    if spec.approver_kind == ApproverKind.USERS:
        if not spec.approver_ids:
            errors["approver_ids"] = "Name at least one approver."
        elif set(spec.approver_ids) - known_user_ids:
            errors["approver_ids"] = f"No such active users: {sorted(set(spec.approver_ids) - known_user_ids)}."
    elif spec.approver_kind == ApproverKind.TEAM:
        if spec.team_id is None:
            errors["team_id"] = "Choose the team whose members approve."
        elif spec.team_id not in known_team_ids:
            errors["team_id"] = "No such team."
    elif spec.approver_kind == ApproverKind.ROLE and spec.role not in Role.values:
        errors["role"] = f"Choose one of {', '.join(Role.values)}."
    if spec.rule == Rule.QUORUM:
        if not spec.quorum or spec.quorum < 1:
            errors["quorum"] = "A quorum rule needs a quorum of at least 1."
        elif (
            spec.approver_kind == ApproverKind.USERS and spec.approver_ids and spec.quorum > len(set(spec.approver_ids))
        ):
            errors["quorum"] = "The quorum is larger than the number of approvers."
        elif spec.approver_kind == ApproverKind.TEAM_LEAD and spec.quorum > 1:
            errors["quorum"] = "A team lead step has one approver."
    elif spec.quorum is not None:
        errors["quorum"] = "Only the quorum rule takes a quorum."
    return errors


def _validate_steps(specs: list[StepSpec]) -> None:
    if not specs:
        raise ValidationFailed({"steps": "A workflow needs at least one step."})
    user_ids = {uid for spec in specs for uid in spec.approver_ids}
    team_ids = {spec.team_id for spec in specs if spec.team_id is not None}
    known_users = set(User.objects.filter(pk__in=user_ids, is_active=True).values_list("pk", flat=True))
    known_teams = set(Team.objects.filter(pk__in=team_ids).values_list("pk", flat=True))
    fields: dict[str, str] = {}
    for index, spec in enumerate(specs):
        for name, message in step_spec_errors(spec, known_user_ids=known_users, known_team_ids=known_teams).items():
            fields[f"steps.{index}.{name}"] = message
    if fields:
        raise ValidationFailed(fields)


def _replace_steps(workflow: ApprovalWorkflow, specs: list[StepSpec]) -> None:
    # Safe because running requests hold their own snapshot of steps and approvers.
    workflow.steps.all().delete()
    for order, spec in enumerate(specs, start=1):
        step = WorkflowStep.objects.create(
            workflow=workflow,
            order=order,
            name=spec.name,
            approver_kind=spec.approver_kind,
            approver_team_id=spec.team_id if spec.approver_kind == ApproverKind.TEAM else None,
            approver_role=spec.role if spec.approver_kind == ApproverKind.ROLE else "",
            rule=spec.rule,
            quorum=spec.quorum if spec.rule == Rule.QUORUM else None,
        )
        if spec.approver_kind == ApproverKind.USERS:
            step.approver_users.set(spec.approver_ids)


def _require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise PermissionDenied("Only admins manage approval workflows.", code="admin_only")


def _check_match_team(team_id: int | None) -> None:
    if team_id is not None and not Team.objects.filter(pk=team_id).exists():
        raise ValidationFailed({"match_team_id": "No such team."})


def check_name_free(name: str, exclude_id: int | None = None) -> None:
    """Workflow names are unique ignoring case (ValidationFailed on `name`); the admin form asks too."""
    clash = ApprovalWorkflow.objects.filter(name__iexact=name)
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise ValidationFailed({"name": "A workflow with this name exists."})


WORKFLOW_FIELDS = ("name", "description", "active", "match_type", "allow_self_service")


@transaction.atomic
def workflow_create(
    *,
    actor: User,
    name: str,
    steps: list[StepSpec],
    description: str = "",
    active: bool = True,
    match_type: str = "",
    match_team_id: int | None = None,
    allow_self_service: bool = False,
) -> ApprovalWorkflow:
    _require_admin(actor)
    check_name_free(name)
    _check_match_team(match_team_id)
    _validate_steps(steps)
    workflow = ApprovalWorkflow.objects.create(
        name=name,
        description=description,
        active=active,
        match_type=match_type or "",
        match_team_id=match_team_id,
        allow_self_service=allow_self_service,
    )
    _replace_steps(workflow, steps)
    return workflow


@transaction.atomic
def workflow_update(*, actor: User, workflow_id: int, changes: dict) -> ApprovalWorkflow:
    """Partial update; `steps`, when given, replaces every step."""
    _require_admin(actor)
    workflow = ApprovalWorkflow.objects.select_for_update().filter(pk=workflow_id).first()
    if workflow is None:
        raise NotFound("No such workflow.")
    if "name" in changes:
        check_name_free(changes["name"], exclude_id=workflow.pk)
    if "match_team_id" in changes:
        _check_match_team(changes["match_team_id"])
        workflow.match_team_id = changes["match_team_id"]
    if "steps" in changes:
        _validate_steps(changes["steps"])
        _replace_steps(workflow, changes["steps"])
    for name in WORKFLOW_FIELDS:
        if name in changes:
            setattr(workflow, name, changes[name] if changes[name] is not None else "")
    workflow.save()
    return workflow


def workflows_with_steps() -> QuerySet[ApprovalWorkflow]:
    return ApprovalWorkflow.objects.select_related("match_team").prefetch_related(
        "steps__approver_users", "steps__approver_team"
    )


def workflow_list(*, actor: User) -> QuerySet[ApprovalWorkflow]:
    """Every workflow, for admins (API.md: managing workflows is an admin's job)."""
    _require_admin(actor)
    return workflows_with_steps()


def workflows_startable(*, actor: User, ticket: Ticket) -> list[ApprovalWorkflow]:
    """The active workflows that apply to this ticket and that `actor` may start on it now:
    what the "request approval" picker offers. Staff of the ticket get every applicable one, its
    requester the self-service ones, anyone else none."""
    staff = is_staff_for(actor, ticket)
    candidates = workflows_with_steps().filter(active=True)
    return [
        w for w in candidates if applicability_error(w, ticket) is None and may_start(actor, ticket, w, staff=staff)
    ]


def applicability_error(workflow: ApprovalWorkflow, ticket: Ticket) -> str | None:
    if not workflow.active:
        return "This workflow is inactive."
    if workflow.match_type and workflow.match_type != ticket.type:
        return f"This workflow applies to {workflow.get_match_type_display().lower()} tickets only."
    if workflow.match_team_id and workflow.match_team_id != ticket.team_id:
        return "This workflow applies to another team's tickets."
    return None


def resolve_approver_ids(step: WorkflowStep, ticket: Ticket) -> list[int]:
    """The users who approve this step on this ticket, now. The ticket's requester never approves
    their own ticket (segregation of duties), so they are left out whatever the definition says."""
    if step.approver_kind == ApproverKind.USERS:
        candidates = step.approver_users.all()
    elif step.approver_kind == ApproverKind.TEAM:
        candidates = User.objects.filter(teams=step.approver_team_id)
    elif step.approver_kind == ApproverKind.TEAM_LEAD:
        lead_id = ticket.team.lead_id if ticket.team_id else None
        candidates = User.objects.filter(pk=lead_id) if lead_id else User.objects.none()
    else:
        candidates = User.objects.filter(role=step.approver_role)
    ids = candidates.filter(is_active=True).exclude(pk=ticket.requester_id).values_list("pk", flat=True)
    return sorted(set(ids))
