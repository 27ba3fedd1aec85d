import pytest
from django.core.management import call_command

from apps.accounts.models import User
from apps.approvals.models import ApprovalRequest, ApprovalWorkflow
from apps.approvals.selectors import awaiting_decision_of

pytestmark = pytest.mark.django_db


def test_demo_has_the_manager_approval_workflow_and_an_inbox_item_once():
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)
    workflow = ApprovalWorkflow.objects.get(name="Manager approval")
    step = workflow.steps.get()
    assert (step.rule, workflow.allow_self_service, workflow.active) == ("any", False, True)
    assert list(step.approver_users.values_list("email", flat=True)) == ["approver@example.com"]
    approver = User.objects.get(email="approver@example.com")
    assert ApprovalRequest.objects.count() == 1
    assert awaiting_decision_of(approver).count() == 1
