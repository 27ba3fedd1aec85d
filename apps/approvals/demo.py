"""Demo approvals: the "Manager approval" workflow, and one request waiting in approver@'s inbox."""

from apps.accounts.models import User
from apps.approvals import services
from apps.approvals.models import ApprovalRequest, ApprovalWorkflow, ApproverKind, Rule, WorkflowStep
from apps.tickets.models import Status, Ticket

WORKFLOW_NAME = "Manager approval"
APPROVER_EMAIL = "approver@example.com"
# A demo ticket (apps/tickets/demo.py) that plausibly needs a manager's yes.
DEMO_TICKET_TITLE = "New monitor for my desk"


def _workflow(approver: User) -> tuple[ApprovalWorkflow, bool]:
    workflow, created = ApprovalWorkflow.objects.get_or_create(
        name=WORKFLOW_NAME,
        defaults={"description": "One sign-off by the manager before the work starts.", "allow_self_service": False},
    )
    if created:
        step = WorkflowStep.objects.create(
            workflow=workflow, order=1, name="Manager", rule=Rule.ANY, approver_kind=ApproverKind.USERS
        )
        step.approver_users.set([approver])
    return workflow, created


def seed() -> list[str]:
    approver = User.objects.filter(email=APPROVER_EMAIL).first()
    if approver is None:
        return []
    workflow, created = _workflow(approver)
    lines = [f"workflow “{WORKFLOW_NAME}” (approver: {APPROVER_EMAIL})"] if created else []
    agent = User.objects.filter(email="agent@example.com").first()
    ticket = Ticket.objects.filter(title=DEMO_TICKET_TITLE, status__in=[Status.NEW, Status.OPEN]).first()
    if agent and ticket and not ApprovalRequest.objects.filter(ticket=ticket).exists():
        services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
        lines.append(f"{ticket.key} awaits {APPROVER_EMAIL}'s approval")
    return lines
