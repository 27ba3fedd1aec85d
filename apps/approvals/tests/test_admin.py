"""Admins define workflows in the Django admin with steps inline; the same step rules as the API apply."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Role
from apps.approvals import delegations, services
from apps.approvals.models import ApprovalRequest, ApprovalWorkflow, Delegation
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


def test_admin_refuses_a_workflow_name_the_api_refuses(staff_client, api, admin_user, approvers):
    """Names are unique ignoring case: the admin asks the service's own check (check_name_free)."""
    make_workflow({"users": approvers}, name="Hardware")
    step = {"name": "Manager", "approver_kind": "users", "approver_ids": [approvers[0].pk]}
    by_api = api(admin_user).post("approvals/workflows", {"name": "HARDWARE", "steps": [step]})
    assert by_api.status_code == 422
    assert by_api.json()["details"]["fields"]["name"] == ["A workflow with this name exists."]
    by_admin = staff_client.post(ADD_URL, workflow_form("hardware", approver_users=[approvers[0].pk]))
    assert by_admin.status_code == 200
    assert by_admin.context["adminform"].form.errors["name"] == ["A workflow with this name exists."]
    assert list(ApprovalWorkflow.objects.values_list("name", flat=True)) == ["Hardware"]


def _delegation_form(delegator, delegate, starts_at, ends_at) -> dict:
    return {
        "delegator": delegator.pk,
        "delegate": delegate.pk,
        "starts_at_0": starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": starts_at.strftime("%H:%M:%S"),
        "ends_at_0": ends_at.strftime("%Y-%m-%d"),
        "ends_at_1": ends_at.strftime("%H:%M:%S"),
        "note": "",
    }


def test_admin_refuses_a_delegation_the_api_refuses(staff_client, api, approvers):
    """No overlapping windows, no delegating to oneself: the admin form runs the services' checks."""
    me, other, third = approvers
    now = timezone.localtime()
    start, end = now + timedelta(days=1), now + timedelta(days=8)
    delegations.delegation_create(actor=me, delegate_id=other.pk, starts_at=start, ends_at=end)
    body = {"delegate_id": third.pk, "starts_at": (start + timedelta(days=2)).isoformat(), "ends_at": end.isoformat()}
    by_api = api(me).post("approvals/delegations", body)
    assert (by_api.status_code, by_api.json()["code"]) == (409, "delegation_overlaps")

    url = "/admin/approvals/delegation/add/"
    overlapping = staff_client.post(url, _delegation_form(me, third, start + timedelta(days=2), end))
    assert overlapping.status_code == 200
    assert overlapping.context["adminform"].form.non_field_errors() == [by_api.json()["message"]]
    to_self = staff_client.post(url, _delegation_form(third, third, start, end))
    assert to_self.context["adminform"].form.errors["delegate"] == ["You can't delegate to yourself."]
    assert Delegation.objects.count() == 1

    elsewhere = staff_client.post(url, _delegation_form(third, me, start, end))  # another delegator: fine
    assert elsewhere.status_code == 302
    assert Delegation.objects.count() == 2
