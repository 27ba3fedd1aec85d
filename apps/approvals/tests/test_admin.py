"""Admins define workflows in the Django admin with steps inline; the same step rules as the API apply."""

import pytest
from django.test import Client

from apps.accounts.models import Role
from apps.approvals import services
from apps.approvals.models import ApprovalRequest, ApprovalWorkflow
from apps.approvals.tests.factories import make_workflow
from apps.core.testing.factories import make_user
from apps.tickets.models import Ticket
from apps.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/approvals/approvalworkflow/add/"


@pytest.fixture
def staff_client(admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    return client


def workflow_form(name: str, **step) -> dict:
    form = {
        "name": name,
        "description": "",
        "active": "on",
        "match_type": "",
        "match_team": "",
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "1",
        "steps-MAX_NUM_FORMS": "1000",
    }
    defaults = {
        "order": "1",
        "name": "Manager",
        "approver_kind": "users",
        "approver_users": [],
        "approver_team": "",
        "approver_role": "",
        "rule": "any",
        "quorum": "",
    }
    form.update({f"steps-0-{key}": value for key, value in {**defaults, **step}.items()})
    return form


def test_admin_adds_a_workflow_with_inline_steps(staff_client, approvers):
    response = staff_client.post(ADD_URL, workflow_form("Hardware", approver_users=[approvers[0].pk, approvers[1].pk]))
    assert response.status_code == 302, response.content.decode()[:2000]
    workflow = ApprovalWorkflow.objects.get(name="Hardware")
    step = workflow.steps.get()
    assert (step.rule, sorted(step.approver_users.values_list("pk", flat=True))) == (
        "any",
        [approvers[0].pk, approvers[1].pk],
    )
    assert staff_client.get(f"/admin/approvals/approvalworkflow/{workflow.pk}/change/").status_code == 200
    assert staff_client.get("/admin/approvals/approvalworkflow/").status_code == 200


def test_admin_refuses_an_inconsistent_step(staff_client, approvers):
    no_team = staff_client.post(ADD_URL, workflow_form("Broken", approver_kind="team"))
    assert no_team.status_code == 200 and "Choose the team whose members approve." in no_team.content.decode()
    too_many = staff_client.post(
        ADD_URL, workflow_form("Broken", approver_users=[approvers[0].pk], rule="quorum", quorum="2")
    )
    assert "The quorum is larger than the number of approvers." in too_many.content.decode()
    assert not ApprovalWorkflow.objects.exists()


def test_admin_lists_requests_and_cancels_them_through_the_service(staff_client, agent, requester, team, approvers):
    workflow = make_workflow({"users": approvers})
    ticket = make_ticket(requester, team=team)
    approval = services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
    assert staff_client.get("/admin/approvals/approvalrequest/").status_code == 200
    assert staff_client.get(f"/admin/approvals/approvalrequest/{approval.pk}/change/").status_code == 200
    assert staff_client.get("/admin/approvals/delegation/").status_code == 200
    response = staff_client.post(
        "/admin/approvals/approvalrequest/", {"action": "cancel", "_selected_action": [approval.pk]}
    )
    assert response.status_code == 302
    assert ApprovalRequest.objects.get().state == "cancelled"
    assert Ticket.objects.get().status == "open"


def test_admin_site_cancel_still_obeys_the_service_rules(agent, requester, team, approvers):
    clerk = make_user(Role.REQUESTER, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(clerk)
    workflow = make_workflow({"users": approvers})
    approval = services.approval_start(
        actor=agent, ticket_id=make_ticket(requester, team=team).pk, workflow_id=workflow.pk
    )
    client.post("/admin/approvals/approvalrequest/", {"action": "cancel", "_selected_action": [approval.pk]})
    assert ApprovalRequest.objects.get().state == "pending"
