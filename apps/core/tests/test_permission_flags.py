"""Permission flags match enforcement (issue 10, item 7).

For every role and object state, each flag an object's `permissions` carries (tickets, comments,
attachments, approval requests, and `/users/me`'s `create_ticket_fields`) is compared with the
request it names: the request is really made, inside a savepoint that is rolled back, and it must
succeed (2xx) exactly when the flag is true. Both sides come from one loop, so a flag added
without a probe here fails the test too (the probe table must cover every key).
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Role
from apps.approvals import services as approval_services
from apps.approvals.tests.factories import make_delegation, make_workflow
from apps.attachments.models import Attachment, AttachmentStatus
from apps.comments.models import Comment
from apps.core.testing.client import ApiClient
from apps.core.testing.factories import make_team, make_user
from apps.tickets.models import Status
from apps.tickets.permissions import TICKET_FIELDS
from apps.tickets.tests.factories import make_ticket


def _succeeds(client: ApiClient, method: str, path: str, body=None) -> bool:
    """Makes the request and undoes whatever it wrote. 2xx → True; a refusal (403/404/409/422) → False."""
    with transaction.atomic():
        response = client.request(method, path, body)
        transaction.set_rollback(True)
    assert response.status_code < 500, (method, path, response.content)
    assert response.status_code != 429, "throttled: the probe would prove nothing"
    return response.status_code < 300


@dataclass
class World:
    team: object
    other_team: object
    people: dict  # role name → user


@pytest.fixture
def world(db, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "user_writes": "100000/min"}
    team, other_team = make_team("Desk"), make_team("Elsewhere")
    people = {
        "admin": make_user(Role.ADMIN),
        "agent_of_team": make_user(Role.AGENT, teams=[team]),
        "agent_elsewhere": make_user(Role.AGENT, teams=[other_team]),
        "requester": make_user(Role.REQUESTER),
        "watcher": make_user(Role.REQUESTER),
    }
    return World(team=team, other_team=other_team, people=people)


def _ticket_states(world: World) -> dict:
    """Tickets of `requester`, watched by `watcher`: every status in the team, one in the triage
    queue (no team), one resolved beyond the reopen window."""
    requester = world.people["requester"]
    tickets = {status: make_ticket(requester, team=world.team, status=status) for status in Status.values}
    tickets["triage"] = make_ticket(requester, team=None, status=Status.OPEN)
    tickets["resolved_long_ago"] = make_ticket(
        requester, team=world.team, status=Status.RESOLVED, resolved_at=timezone.now() - timedelta(days=365)
    )
    for ticket in tickets.values():
        ticket.watchers.add(world.people["watcher"])
    return tickets


def _ticket_probes(ticket, detail: dict, world: World) -> dict:
    """Flag → (method, path, body) of the request it stands for."""
    path = f"tickets/{ticket.pk}"
    version = detail["version"]
    other_type = "question" if detail["type"] != "question" else "incident"
    return {
        "edit": ("patch", path, {"version": version, "title": "A new title"}),
        "set_priority": ("patch", path, {"version": version, "priority": "urgent"}),
        "set_type": ("patch", path, {"version": version, "type": other_type}),
        "set_team": ("patch", path, {"version": version, "team_id": world.other_team.pk}),
        "set_tags": ("patch", path, {"version": version, "tags": ["probe"]}),
        "set_due": ("patch", path, {"version": version, "due_at": "2031-01-01T09:00:00Z"}),
        "assign": ("post", f"{path}/assign", {"assignee_id": world.people["admin"].pk}),
        "comment": ("post", f"{path}/comments", {"body": "A probe"}),
        "comment_internal": ("post", f"{path}/comments", {"body": "A probe", "internal": True}),
        "upload": ("post", f"{path}/attachments", {"filename": "a.pdf", "content_type": "application/pdf", "size": 10}),
        "watch": ("post", f"{path}/watch", None),
        "delete": ("delete", path, None),
    }


def test_ticket_flags_match_what_the_endpoints_allow(world):
    tickets = _ticket_states(world)
    answers: dict[str, set] = {}
    for role, user in world.people.items():
        client = ApiClient(user)
        for state, ticket in tickets.items():
            response = client.get(f"tickets/{ticket.pk}")
            if response.status_code == 404:
                assert role == "agent_elsewhere", (role, state)  # the only one who can't see these tickets
                continue
            detail = response.json()
            flags = detail["permissions"]
            probes = _ticket_probes(ticket, detail, world)
            assert set(flags) == set(probes) | {"transition_to"}, "every flag needs a probe"
            for flag, (method, path, body) in probes.items():
                assert flags[flag] == _succeeds(client, method, path, body), (role, state, flag)
                answers.setdefault(flag, set()).add(flags[flag])
            moves = {
                status
                for status in Status.values
                if _succeeds(client, "post", f"tickets/{ticket.pk}/transition", {"status": status})
            }
            assert set(flags["transition_to"]) == moves, (role, state)
            assert detail["allowed_transitions"] == flags["transition_to"]
            answers.setdefault("transition_to", set()).add(bool(moves))
    # The table exercises both answers of every flag (comment/upload/watch: true for all who see the ticket).
    always = {"comment", "upload", "watch"}
    assert all(seen == ({True} if flag in always else {True, False}) for flag, seen in answers.items()), answers


def test_new_ticket_fields_match_what_create_allows(world):
    values = {
        "title": "Printer",
        "description": "Jammed",
        "priority": "high",
        "type": "question",
        "team_id": world.team.pk,
        "tags": ["printer"],
        "due_at": "2031-01-01T09:00:00Z",
    }
    assert set(values) == set(TICKET_FIELDS)
    seen_refused = False
    for role, user in world.people.items():
        client = ApiClient(user)
        allowed = client.get("users/me").json()["permissions"]["create_ticket_fields"]
        for field, value in values.items():
            body = {"title": "Printer", field: value}
            assert (field in allowed) == _succeeds(client, "post", "tickets", body), (role, field)
            seen_refused = seen_refused or field not in allowed
        if role == "requester":
            assert "tags" not in allowed and "due_at" not in allowed
    assert seen_refused


def test_me_view_reports_matches_the_dashboard(world):
    for user in world.people.values():
        client = ApiClient(user)
        flag = client.get("users/me").json()["permissions"]["view_reports"]
        assert flag == _succeeds(client, "get", "reports/dashboard")


def test_comment_and_attachment_flags_match_what_the_endpoints_allow(world):
    requester, agent = world.people["requester"], world.people["agent_of_team"]
    ticket = make_ticket(requester, team=world.team, status=Status.OPEN)
    ticket.watchers.add(world.people["watcher"])
    comments = {
        "by_requester": Comment.objects.create(ticket=ticket, author=requester, body="Mine"),
        "by_agent": Comment.objects.create(ticket=ticket, author=agent, body="Agent's"),
        "internal_by_agent": Comment.objects.create(ticket=ticket, author=agent, body="Note", internal=True),
        "deleted": Comment.objects.create(ticket=ticket, author=requester, body="", deleted_at=timezone.now()),
    }
    for comment in comments.values():
        Attachment.objects.create(
            ticket=ticket,
            comment=None if comment.deleted else comment,
            internal=comment.internal,
            uploaded_by=comment.author,
            key=f"attachments/probe-{comment.pk}",
            storage="local",
            filename="a.pdf",
            content_type="application/pdf",
            size=10,
            status=AttachmentStatus.AVAILABLE,
        )
    answers = {"edit": set(), "delete": set(), "attachment_delete": set()}
    for role, user in world.people.items():
        client = ApiClient(user)
        response = client.get(f"tickets/{ticket.pk}/comments")
        if response.status_code == 404:
            assert role == "agent_elsewhere"
            continue
        listed = {item["id"]: item for item in response.json()["items"]}
        for state, comment in comments.items():
            if comment.pk not in listed:
                assert comment.internal and not user.is_staff_role, (role, state)
                continue
            flags = listed[comment.pk]["permissions"]
            probes = {
                "edit": ("patch", f"comments/{comment.pk}", {"body": "Edited"}),
                "delete": ("delete", f"comments/{comment.pk}", None),
                "view_revisions": ("get", f"comments/{comment.pk}/revisions", None),
            }
            assert set(flags) == set(probes)
            for flag, (method, path, body) in probes.items():
                assert flags[flag] == _succeeds(client, method, path, body), (role, state, flag)
                answers.setdefault(flag, set()).add(flags[flag])
        attachments = client.get(f"tickets/{ticket.pk}/attachments").json()
        nested = [a for item in listed.values() for a in item["attachments"]]
        for attachment in attachments + nested:
            flags = attachment["permissions"]
            assert set(flags) == {"delete"}
            assert flags["delete"] == _succeeds(client, "delete", f"attachments/{attachment['id']}"), (role, attachment)
            answers["attachment_delete"].add(flags["delete"])
    assert all(seen == {True, False} for seen in answers.values()), answers


def test_approval_flags_match_what_the_endpoints_allow(world):
    requester, agent = world.people["requester"], world.people["agent_of_team"]
    approver, stand_in = make_user(Role.REQUESTER), make_user(Role.REQUESTER)
    make_delegation(approver, stand_in)
    people = {**world.people, "approver": approver, "delegate": stand_in}

    def started(requested_by=agent):
        ticket = make_ticket(requester, team=world.team, status=Status.OPEN)
        ticket.watchers.add(requested_by)  # (a requester starting a self-service workflow sees the ticket)
        workflow = make_workflow({"users": [approver]}, {"users": [world.people["admin"]]})
        approval = approval_services.approval_start(actor=agent, ticket_id=ticket.pk, workflow_id=workflow.pk)
        approval.requested_by = requested_by
        approval.save(update_fields=["requested_by"])
        return approval

    approvals = {"pending": started()}
    approvals["second_step"] = started()
    approval_services.approval_decide(actor=approver, approval_id=approvals["second_step"].pk, decision="approve")
    approvals["approved"] = started()
    approval_services.approval_decide(actor=approver, approval_id=approvals["approved"].pk, decision="approve")
    approval_services.approval_decide(
        actor=world.people["admin"], approval_id=approvals["approved"].pk, decision="approve"
    )
    approvals["cancelled"] = started()
    approval_services.approval_cancel(actor=agent, approval_id=approvals["cancelled"].pk)
    approvals["requested_by_watcher"] = started(requested_by=world.people["watcher"])
    answers: dict[str, set] = {}
    for role, user in people.items():
        client = ApiClient(user)
        for state, approval in approvals.items():
            response = client.get(f"approvals/{approval.pk}")
            if response.status_code == 404:
                # Those who see every one of these tickets: its requester, its team's agent, admins.
                assert role not in ("admin", "agent_of_team", "requester"), (role, state)
                continue
            flags = response.json()["permissions"]
            probes = {
                "decide": ("post", f"approvals/{approval.pk}/decision", {"decision": "approve", "comment": ""}),
                "cancel": ("post", f"approvals/{approval.pk}/cancel", None),
            }
            assert set(flags) == set(probes)
            for flag, (method, path, body) in probes.items():
                assert flags[flag] == _succeeds(client, method, path, body), (role, state, flag)
                answers.setdefault(flag, set()).add(flags[flag])
            listed = client.get("approvals", {"state": response.json()["state"]}).json()["items"]
            assert [item["permissions"] for item in listed if item["id"] == approval.pk] == [flags]
    assert all(seen == {True, False} for seen in answers.values()), answers
