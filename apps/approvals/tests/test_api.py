"""The approvals REST API: shapes, authorization (404 vs 403 as API.md says), bad input, inbox cost."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import Role
from apps.approvals import services
from apps.approvals.models import ApprovalDecision, ApprovalWorkflow
from apps.approvals.tests.factories import make_delegation, make_workflow
from apps.core.testing.factories import make_team, make_user
from apps.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(agent, requester, team, approvers):
    """A pending one-step 'all' approval on an open ticket of `team`, approvers[0..1]."""
    workflow = make_workflow({"users": approvers[:2], "rule": "all", "name": "Budget"}, name="Purchase")
    ticket = make_ticket(requester, team=team, status="open")
    return services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)


# --- Starting -------------------------------------------------------------------------------


def test_start_returns_the_request_and_the_ticket_shows_a_summary(api, agent, requester, team, approvers):
    workflow = make_workflow({"users": approvers[:2]}, {"users": approvers[2:], "rule": "any"}, name="Two steps")
    ticket = make_ticket(requester, team=team)
    response = api(agent).post(f"tickets/{ticket.pk}/approvals", {"workflow_id": workflow.pk})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "pending" and body["ticket"]["number"] == ticket.key
    assert body["workflow"] == {"id": workflow.pk, "name": "Two steps"}
    assert [s["state"] for s in body["steps"]] == ["pending", "waiting"]
    assert body["current_step"]["order"] == 1
    assert [d["approver"]["id"] for d in body["current_step"]["decisions"]] == sorted(a.pk for a in approvers[:2])
    detail = api(requester).get(f"tickets/{ticket.pk}").json()
    assert detail["status"] == "pending_approval"
    assert detail["approval"] == {
        "id": body["id"],
        "state": "pending",
        "workflow": "Two steps",
        "current_step": 1,
        "steps_total": 2,
    }


def test_start_errors(api, agent, requester, team, approvers, running):
    other_ticket = make_ticket(requester, team=team)
    workflow = make_workflow({"users": approvers})
    unknown = api(agent).post(f"tickets/{other_ticket.pk}/approvals", {"workflow_id": 999999})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    again = api(agent).post(f"tickets/{running.ticket_id}/approvals", {"workflow_id": workflow.pk})
    assert (again.status_code, again.json()["code"]) == (409, "approval_already_active")
    assert again.json()["details"]["approval_id"] == running.pk
    bad = api(agent).post(f"tickets/{other_ticket.pk}/approvals", {"workflow_id": "first"})
    assert bad.status_code == 422 and "workflow_id" in bad.json()["details"]["fields"]
    extra = api(agent).post(f"tickets/{other_ticket.pk}/approvals", {"workflow_id": workflow.pk, "state": "approved"})
    assert extra.status_code == 422
    own = api(requester).post(f"tickets/{other_ticket.pk}/approvals", {"workflow_id": workflow.pk})
    assert (own.status_code, own.json()["code"]) == (403, "self_service_not_allowed")
    stranger = api(make_user()).post(f"tickets/{other_ticket.pk}/approvals", {"workflow_id": workflow.pk})
    assert stranger.status_code == 404
    inactive = make_workflow({"users": approvers}, active=False)
    refused = api(agent).post(f"tickets/{other_ticket.pk}/approvals", {"workflow_id": inactive.pk})
    assert refused.status_code == 422 and "workflow_id" in refused.json()["details"]["fields"]


# --- Deciding -------------------------------------------------------------------------------


def test_decide_approve_and_reject_with_comment(api, running, approvers):
    first = api(approvers[0]).post(f"approvals/{running.pk}/decision", {"decision": "approve", "comment": "ok"})
    assert first.status_code == 200, first.json()
    [mine, theirs] = sorted(first.json()["current_step"]["decisions"], key=lambda d: d["approver"]["id"])
    assert (mine["decision"], mine["comment"], mine["decided_by"]["id"], mine["on_behalf_of"]) == (
        "approve",
        "ok",
        approvers[0].pk,
        None,
    )
    assert theirs["decision"] is None and theirs["decided_at"] is None
    second = api(approvers[1]).post(f"approvals/{running.pk}/decision", {"decision": "reject", "comment": "No budget"})
    assert second.status_code == 200
    assert second.json()["state"] == "rejected" and second.json()["ticket"]["status"] == "rejected"


def test_decision_authorization(api, agent, requester, team, running, approvers):
    outsider = make_user(Role.REQUESTER)
    invisible = api(outsider).post(f"approvals/{running.pk}/decision", {"decision": "approve"})
    assert (invisible.status_code, invisible.json()["code"]) == (404, "not_found")
    assert api(outsider).get(f"approvals/{running.pk}").status_code == 404
    teammate = make_user(Role.AGENT, teams=[team])
    not_approver = api(teammate).post(f"approvals/{running.pk}/decision", {"decision": "approve"})
    assert (not_approver.status_code, not_approver.json()["code"]) == (403, "not_an_approver")
    own = api(requester).post(f"approvals/{running.pk}/decision", {"decision": "approve"})
    assert (own.status_code, own.json()["code"]) == (403, "self_approval_forbidden")
    missing = api(agent).post("approvals/999999/decision", {"decision": "approve"})
    assert missing.status_code == 404
    assert not ApprovalDecision.objects.exists()


def test_deciding_twice_is_a_conflict(api, running, approvers):
    assert api(approvers[0]).post(f"approvals/{running.pk}/decision", {"decision": "approve"}).status_code == 200
    again = api(approvers[0]).post(f"approvals/{running.pk}/decision", {"decision": "approve"})
    assert (again.status_code, again.json()["code"]) == (409, "already_decided")


def test_decision_on_a_finished_request_is_a_conflict(api, agent, running, approvers):
    api(agent).post(f"approvals/{running.pk}/cancel", {"reason": "Duplicate"})
    late = api(approvers[0]).post(f"approvals/{running.pk}/decision", {"decision": "approve"})
    assert (late.status_code, late.json()["code"]) == (409, "approval_not_pending")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "maybe"}, "decision"),
        ({}, "decision"),
        ({"decision": "reject"}, "comment"),
        ({"decision": "reject", "comment": "  "}, "comment"),
        ({"decision": "approve", "comment": "x" * 4001}, "comment"),
        ({"decision": "approve", "approver_id": 1}, "approver_id"),
        ({"decision": "approve", "step_id": "current"}, "step_id"),
    ],
)
def test_bad_decision_input_is_422_with_fields(api, running, approvers, body, field):
    response = api(approvers[0]).post(f"approvals/{running.pk}/decision", body)
    assert response.status_code == 422, response.json()
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["details"]["fields"]


def test_cancel_by_requester_reopens_and_outsider_is_refused(api, requester, running, approvers):
    refused = api(approvers[0]).post(f"approvals/{running.pk}/cancel")
    assert (refused.status_code, refused.json()["code"]) == (403, "cancel_forbidden")
    response = api(requester).post(f"approvals/{running.pk}/cancel", {"reason": "Changed my mind"})
    assert response.status_code == 200
    assert response.json()["state"] == "cancelled" and response.json()["ticket"]["status"] == "open"
    again = api(requester).post(f"approvals/{running.pk}/cancel")
    assert again.status_code == 409


def test_approver_sees_the_ticket_and_detail(api, running, approvers):
    detail = api(approvers[0]).get(f"approvals/{running.pk}")
    assert detail.status_code == 200
    assert detail.json()["awaiting_decision_for"] == [
        {
            "id": approvers[0].pk,
            "email": approvers[0].email,
            "name": approvers[0].display_name,
            "username": approvers[0].username,
            "role": "requester",
        }
    ]
    assert api(approvers[0]).get(f"tickets/{running.ticket_id}").status_code == 200


# --- Delegation -----------------------------------------------------------------------------


def test_delegate_inbox_and_decision_on_behalf(api, running, approvers):
    stand_in = make_user(Role.REQUESTER)
    make_delegation(approvers[0], stand_in)
    inbox = api(stand_in).get("approvals", {"state": "pending", "mine": "true"}).json()["items"]
    assert [item["id"] for item in inbox] == [running.pk]
    assert [u["id"] for u in inbox[0]["awaiting_decision_for"]] == [approvers[0].pk]
    assert api(stand_in).get(f"tickets/{running.ticket_id}").status_code == 200

    response = api(stand_in).post(f"approvals/{running.pk}/decision", {"decision": "approve", "comment": "covering"})
    assert response.status_code == 200, response.json()
    entry = next(d for d in response.json()["current_step"]["decisions"] if d["approver"]["id"] == approvers[0].pk)
    assert entry["decided_by"]["id"] == stand_in.pk and entry["on_behalf_of"]["id"] == approvers[0].pk
    assert api(stand_in).get("approvals", {"state": "pending", "mine": "true"}).json()["items"] == []
    # The delegator's own inbox no longer lists it either: their slot is decided.
    assert api(approvers[0]).get("approvals", {"state": "pending", "mine": "true"}).json()["items"] == []


def test_delegate_outside_the_window_is_refused(api, team, running, approvers):
    expired = make_user(Role.REQUESTER)
    make_delegation(approvers[0], expired, starts_in=timedelta(days=-5), lasts=timedelta(days=1))
    # A requester-role delegate without an active window can't even see the ticket.
    assert api(expired).post(f"approvals/{running.pk}/decision", {"decision": "approve"}).status_code == 404
    assert api(expired).get("approvals", {"state": "pending", "mine": "true"}).json()["items"] == []
    future = make_user(Role.AGENT, teams=[team])
    make_delegation(approvers[0], future, starts_in=timedelta(days=2))
    response = api(future).post(f"approvals/{running.pk}/decision", {"decision": "approve"})
    assert (response.status_code, response.json()["code"]) == (403, "delegation_not_active")


def test_delegation_crud(api, approvers):
    me, other = approvers[0], approvers[1]
    now = timezone.now()
    body = {
        "delegate_id": other.pk,
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(days=7)).isoformat(),
        "note": "Vacation",
    }
    created = api(me).post("approvals/delegations", body)
    assert created.status_code == 201, created.json()
    delegation = created.json()
    assert (delegation["delegate"]["id"], delegation["delegator"]["id"], delegation["active"]) == (
        other.pk,
        me.pk,
        True,
    )
    assert [d["id"] for d in api(me).get("approvals/delegations").json()] == [delegation["id"]]
    assert [d["id"] for d in api(other).get("approvals/delegations", {"received": "true"}).json()] == [delegation["id"]]
    assert api(other).get("approvals/delegations").json() == []

    overlap = api(me).post("approvals/delegations", {**body, "delegate_id": approvers[2].pk})
    assert (overlap.status_code, overlap.json()["code"]) == (409, "delegation_overlaps")
    to_self = api(me).post("approvals/delegations", {**body, "delegate_id": me.pk})
    assert to_self.status_code == 422 and "delegate_id" in to_self.json()["details"]["fields"]
    backwards = api(me).post("approvals/delegations", {**body, "ends_at": (now - timedelta(days=1)).isoformat()})
    assert backwards.status_code == 422 and "ends_at" in backwards.json()["details"]["fields"]
    unknown = api(me).post("approvals/delegations", {**body, "delegate_id": 999999})
    assert unknown.status_code == 422

    later = (now + timedelta(days=3)).isoformat()
    patched = api(me).patch(f"approvals/delegations/{delegation['id']}", {"ends_at": later})
    assert patched.status_code == 200 and patched.json()["ends_at"].startswith(later[:16])
    assert api(other).patch(f"approvals/delegations/{delegation['id']}", {"note": "mine now"}).status_code == 404
    assert api(other).delete(f"approvals/delegations/{delegation['id']}").status_code == 404
    assert api(me).delete(f"approvals/delegations/{delegation['id']}").status_code == 204
    assert api(me).get("approvals/delegations").json() == []


# --- Workflows ------------------------------------------------------------------------------


def test_admin_creates_lists_and_edits_workflows(api, admin_user, agent, requester, approvers):
    finance = make_team("Finance")
    body = {
        "name": "Purchase over 1000",
        "description": "Two signatures",
        "match_type": "service_request",
        "steps": [
            {
                "name": "Manager",
                "approver_kind": "users",
                "approver_ids": [approvers[0].pk, approvers[1].pk],
                "rule": "any",
            },
            {"name": "Finance", "approver_kind": "team", "team_id": finance.pk, "rule": "quorum", "quorum": 2},
            {"name": "Lead", "approver_kind": "team_lead"},
        ],
    }
    created = api(admin_user).post("approvals/workflows", body)
    assert created.status_code == 201, created.json()
    workflow = created.json()
    assert [(s["order"], s["approver_kind"], s["rule"]) for s in workflow["steps"]] == [
        (1, "users", "any"),
        (2, "team", "quorum"),
        (3, "team_lead", "all"),
    ]
    assert workflow["steps"][1]["team"] == {"id": finance.pk, "name": "Finance"}
    assert workflow["match_type"] == "service_request" and workflow["allow_self_service"] is False

    patched = api(admin_user).patch(
        f"approvals/workflows/{workflow['id']}",
        {
            "allow_self_service": True,
            "steps": [{"name": "Only", "approver_kind": "role", "role": "admin", "rule": "any"}],
        },
    )
    assert patched.status_code == 200, patched.json()
    assert [s["name"] for s in patched.json()["steps"]] == ["Only"] and patched.json()["allow_self_service"] is True

    api(admin_user).patch(f"approvals/workflows/{workflow['id']}", {"active": False})
    assert [w["name"] for w in api(admin_user).get("approvals/workflows").json()] == ["Purchase over 1000"]
    assert [w["active"] for w in api(admin_user).get("approvals/workflows").json()] == [False]
    for user in (agent, requester):
        denied = api(user).get("approvals/workflows")
        assert (denied.status_code, denied.json()["code"]) == (403, "admin_only")


def test_ticket_offers_the_workflows_the_caller_may_start(api, agent, requester, team, approvers):
    ticket = make_ticket(requester, team=team, status="open", type="service_request")
    make_workflow({"users": approvers[:1]}, name="Staff only")
    make_workflow({"users": approvers[:1]}, name="Self service", allow_self_service=True)
    make_workflow({"users": approvers[:1]}, name="Changes only", match_type="change")
    make_workflow({"users": approvers[:1]}, name="Retired", active=False)
    make_workflow({"users": approvers[:1]}, name="Other team", match_team=make_team("Elsewhere"))

    def offered(user):
        response = api(user).get(f"tickets/{ticket.pk}/approval-workflows")
        assert response.status_code == 200, response.json()
        return sorted(w["name"] for w in response.json())

    assert offered(agent) == ["Self service", "Staff only"]
    for i in range(5):
        make_workflow({"users": approvers[:1]}, name=f"More {i}")
    with CaptureQueriesContext(connection) as few:
        offered(requester)
    for i in range(20):
        make_workflow({"users": approvers[:1]}, name=f"Even more {i}")
    with CaptureQueriesContext(connection) as many:
        offered(requester)
    assert len(few.captured_queries) == len(many.captured_queries)
    assert offered(requester) == ["Self service"]
    watcher = make_user()
    ticket.watchers.add(watcher)
    assert offered(watcher) == []  # can see the ticket, may start nothing
    stranger = make_user()
    assert api(stranger).get(f"tickets/{ticket.pk}/approval-workflows").status_code == 404


def test_workflow_writes_are_admin_only_and_validated(api, admin_user, agent, approvers):
    step = {"name": "Manager", "approver_kind": "users", "approver_ids": [approvers[0].pk]}
    forbidden = api(agent).post("approvals/workflows", {"name": "Mine", "steps": [step]})
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "admin_only")
    workflow = make_workflow({"users": approvers})
    assert api(agent).patch(f"approvals/workflows/{workflow.pk}", {"active": False}).status_code == 403
    assert api(admin_user).patch("approvals/workflows/999999", {"active": False}).status_code == 404

    cases = [
        ({"name": "A", "steps": []}, "steps"),
        ({"name": "A", "steps": [{**step, "approver_ids": []}]}, "steps.0.approver_ids"),
        ({"name": "A", "steps": [{**step, "approver_ids": [999999]}]}, "steps.0.approver_ids"),
        ({"name": "A", "steps": [{"name": "T", "approver_kind": "team"}]}, "steps.0.team_id"),
        ({"name": "A", "steps": [{"name": "R", "approver_kind": "role"}]}, "steps.0.role"),
        ({"name": "A", "steps": [{**step, "rule": "quorum"}]}, "steps.0.quorum"),
        ({"name": "A", "steps": [{**step, "rule": "quorum", "quorum": 3}]}, "steps.0.quorum"),
        ({"name": "A", "steps": [{**step, "rule": "sometimes"}]}, "steps.0.rule"),
        ({"name": "A", "steps": [{**step, "approver_kind": "everyone"}]}, "steps.0.approver_kind"),
        ({"name": "A", "steps": [step], "owner_id": 1}, "owner_id"),
        ({"name": workflow.name, "steps": [step]}, "name"),
        ({"name": "A", "match_team_id": 999999, "steps": [step]}, "match_team_id"),
        ({"name": " ", "steps": [step]}, "name"),
    ]
    for body, field in cases:
        response = api(admin_user).post("approvals/workflows", body)
        assert response.status_code == 422, (body, response.json())
        assert field in response.json()["details"]["fields"], (body, response.json())
    assert ApprovalWorkflow.objects.count() == 1
    nulls = api(admin_user).patch(f"approvals/workflows/{workflow.pk}", {"name": None})
    assert nulls.status_code == 422


# --- Inbox ----------------------------------------------------------------------------------


def _pending_for(approver, count, *, agent, team):
    workflow = make_workflow({"users": [approver, make_user()], "rule": "all"}, {"users": [make_user()]})
    for _ in range(count):
        ticket = make_ticket(make_user(), team=team)
        services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)


def _inbox_queries(api, user) -> tuple[int, int]:
    client = api(user)
    client.get("users/me")  # first sight of the token (user provisioning) is not the inbox's cost
    with CaptureQueriesContext(connection) as queries:
        response = client.get("approvals", {"state": "pending", "mine": "true", "limit": 100})
    assert response.status_code == 200
    return len(response.json()["items"]), len(queries)


def test_inbox_query_count_does_not_grow_with_its_length(api, agent, team):
    few, many = make_user(), make_user()
    make_delegation(make_user(), many)  # delegation lookups are part of the cost too
    _pending_for(few, 5, agent=agent, team=team)
    _pending_for(many, 50, agent=agent, team=team)
    few_items, few_queries = _inbox_queries(api, few)
    many_items, many_queries = _inbox_queries(api, many)
    assert (few_items, many_items) == (5, 50)
    assert few_queries == many_queries


def test_inbox_pages_and_filters(api, agent, team, approvers):
    approver = approvers[0]
    _pending_for(approver, 3, agent=agent, team=team)
    client = api(approver)
    first = client.get("approvals", {"state": "pending", "mine": "true", "limit": 2}).json()
    second = client.get(
        "approvals", {"state": "pending", "mine": "true", "limit": 2, "cursor": first["next_cursor"]}
    ).json()
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 3 and second["next_cursor"] is None
    assert ids == sorted(ids, reverse=True)
    assert client.get("approvals", {"state": "approved", "mine": "true"}).json()["items"] == []
    assert len(client.get("approvals", {"mine": "true"}).json()["items"]) == 3
    bad = client.get("approvals", {"state": "maybe"})
    assert bad.status_code == 422 and "state" in bad.json()["details"]["fields"]
    assert client.get("approvals", {"cursor": "abc"}).status_code == 422
    # Without `mine`: what the caller can see. The team's agent sees all three; a stranger none.
    assert len(api(agent).get("approvals").json()["items"]) == 3
    assert api(make_user()).get("approvals").json()["items"] == []


def test_cancel_takes_an_optional_body(api, agent, running):
    client = api(agent)
    wrong = client.post(f"approvals/{running.pk}/cancel", {"reason": 42})
    assert wrong.status_code == 422 and "reason" in wrong.json()["details"]["fields"]
    # What the SPA's cancel button sends: no body at all.
    empty = client._client.post(
        f"/api/v1/approvals/{running.pk}/cancel",
        "",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )
    assert empty.status_code == 200 and empty.json()["state"] == "cancelled"


def test_delegation_times_need_a_timezone(api, approvers):
    response = api(approvers[0]).post(
        "approvals/delegations",
        {"delegate_id": approvers[1].pk, "starts_at": "2026-01-01T08:00:00", "ends_at": "2099-01-01T08:00:00"},
    )
    assert response.status_code == 422
    assert set(response.json()["details"]["fields"]) == {"starts_at", "ends_at"}


def _queries_for(client, path) -> tuple[int, int]:
    client.get("users/me")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(response.json()), len(queries)


def test_workflow_list_query_count_does_not_grow(api, admin_user, approvers):
    team = make_team("Approvers", members=approvers)
    client = api(admin_user)

    def add(count):
        for _ in range(count):
            make_workflow({"users": approvers[:2]}, {"team": team, "rule": "quorum", "quorum": 2})

    add(5)
    few = _queries_for(client, "approvals/workflows")
    add(45)
    many = _queries_for(client, "approvals/workflows")
    assert (few[0], many[0]) == (5, 50)
    assert few[1] == many[1]


def test_delegation_list_query_count_does_not_grow(api, approvers):
    me = approvers[0]
    client = api(me)

    def add(count, offset):
        for day in range(offset, offset + count):
            make_delegation(me, make_user(), starts_in=timedelta(days=day * 2), lasts=timedelta(days=1))

    add(5, 0)
    few = _queries_for(client, "approvals/delegations")
    add(45, 5)
    many = _queries_for(client, "approvals/delegations")
    assert (few[0], many[0]) == (5, 50)
    assert few[1] == many[1]
