from datetime import timedelta

from django.utils import timezone

from apps.approvals.models import ApprovalWorkflow, Delegation, WorkflowStep

_names = iter(range(1, 10**6))


def make_workflow(*steps: dict, name: str | None = None, **fields) -> ApprovalWorkflow:
    """Steps as dicts: {"users": [...]} or {"team": team} or {"team_lead": True} or {"role": "admin"},
    plus "rule" (default all), "quorum", "name"."""
    workflow = ApprovalWorkflow.objects.create(name=name or f"Workflow {next(_names)}", **fields)
    for order, spec in enumerate(steps, start=1):
        kind = (
            "users" if "users" in spec else "team" if "team" in spec else "team_lead" if "team_lead" in spec else "role"
        )
        step = WorkflowStep.objects.create(
            workflow=workflow,
            order=order,
            name=spec.get("name", f"Step {order}"),
            approver_kind=kind,
            approver_team=spec.get("team"),
            approver_role=spec.get("role", ""),
            rule=spec.get("rule", "all"),
            quorum=spec.get("quorum"),
        )
        if kind == "users":
            step.approver_users.set(spec["users"])
    return workflow


def make_delegation(delegator, delegate, *, starts_in=timedelta(hours=-1), lasts=timedelta(days=1)) -> Delegation:
    start = timezone.now() + starts_in
    return Delegation.objects.create(delegator=delegator, delegate=delegate, starts_at=start, ends_at=start + lasts)
