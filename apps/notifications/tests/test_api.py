"""The notification centre's endpoints (API.md "Notifications") and their query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Role
from apps.core.testing.factories import make_user
from apps.notifications.kinds import Kind
from apps.notifications.models import Notification
from apps.notifications.rules import Planned
from apps.notifications.services import notifications_deliver
from apps.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def deliver(recipient, ticket, count: int, *, actor=None, kind=Kind.COMMENT_ADDED) -> list[Notification]:
    return notifications_deliver(
        [
            Planned(
                recipient_id=recipient.pk,
                kind=kind,
                ticket_id=ticket.pk,
                actor_id=actor.pk if actor else None,
                message=f"Note {n}",
                event_key=f"test:{ticket.pk}:{n}",
            )
            for n in range(count)
        ]
    )


@pytest.fixture
def rita(db):
    return make_user(Role.REQUESTER, username="rita", name="Rita")


@pytest.fixture
def ticket(rita):
    return make_ticket(rita, title="Printer on fire")


def test_list_has_the_contract_shape_newest_first_with_unread_count(api, rita, ticket, agent):
    deliver(rita, ticket, 3, actor=agent)
    body = api(rita).get("notifications").json()
    assert body["unread_count"] == 3
    assert body["next_cursor"] is None
    assert [item["message"] for item in body["items"]] == ["Note 2", "Note 1", "Note 0"]
    item = body["items"][0]
    assert set(item) == {"id", "kind", "ticket", "actor", "message", "created_at", "read_at"}
    assert item["kind"] == "comment_added"
    assert item["ticket"] == {"id": ticket.pk, "number": ticket.key, "title": "Printer on fire"}
    assert item["actor"]["id"] == agent.pk and item["actor"]["name"] == "Alan Agent"
    assert item["read_at"] is None


def test_cursor_pages_and_unread_filter(api, rita, ticket):
    made = deliver(rita, ticket, 5)
    client = api(rita)
    client.post("notifications/read", {"ids": [made[4].pk, made[3].pk]})
    first = client.get("notifications", {"limit": 2}).json()
    assert [i["message"] for i in first["items"]] == ["Note 4", "Note 3"]
    second = client.get("notifications", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["message"] for i in second["items"]] == ["Note 2", "Note 1"]
    third = client.get("notifications", {"limit": 2, "cursor": second["next_cursor"]}).json()
    assert [i["message"] for i in third["items"]] == ["Note 0"] and third["next_cursor"] is None
    unread = client.get("notifications", {"unread": "true"}).json()
    assert [i["message"] for i in unread["items"]] == ["Note 2", "Note 1", "Note 0"]
    assert unread["unread_count"] == 3


@pytest.mark.parametrize("cursor", ["abc", "-1", "1" * 40, "1\x00"])
def test_a_bad_cursor_is_a_422_on_cursor(api, rita, cursor):
    response = api(rita).get("notifications", {"cursor": cursor})
    assert response.status_code == 422
    assert "cursor" in response.json()["details"]["fields"]


def test_mark_read_by_ids_ignores_other_peoples_and_all_marks_the_rest(api, rita, ticket, agent):
    mine = deliver(rita, ticket, 3)
    theirs = deliver(agent, ticket, 1)
    client = api(rita)
    response = client.post("notifications/read", {"ids": [mine[0].pk, theirs[0].pk]})
    assert response.status_code == 200
    assert response.json() == {"unread_count": 2}
    assert Notification.objects.get(pk=theirs[0].pk).read_at is None
    assert client.post("notifications/read", {"all": True}).json() == {"unread_count": 0}
    assert api(agent).get("notifications").json()["unread_count"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": []},
        {"ids": [1], "all": True},
        {"all": False},
        {"ids": [0]},
        {"ids": [2**63]},
        {"ids": "1"},
        {"x": 1},
    ],
)
def test_mark_read_refuses_bad_bodies(api, rita, body):
    response = api(rita).post("notifications/read", body)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_notifications_of_others_and_hidden_ones_are_not_listed(api, rita, ticket, agent):
    deliver(agent, ticket, 2)
    hidden = deliver(rita, ticket, 1)
    Notification.objects.filter(pk=hidden[0].pk).update(in_app=False)
    body = api(rita).get("notifications").json()
    assert body == {"items": [], "next_cursor": None, "unread_count": 0}


def test_the_list_needs_authentication():
    from django.test import Client

    assert Client().get("/api/v1/notifications").status_code == 401


def test_list_query_count_does_not_grow_with_the_page_size(api, rita, agent, admin_user):
    tickets = [make_ticket(rita, title=f"T{n}") for n in range(30)]
    for n, ticket in enumerate(tickets):
        deliver(rita, ticket, 4, actor=agent if n % 2 else admin_user)
    client = api(rita)
    client.get("notifications", {"limit": 1})  # warm caches (auth, JWKS) outside the count

    def queries(limit: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("notifications", {"limit": limit})
        assert len(response.json()["items"]) == limit
        return len(captured)

    assert queries(2) == queries(50) == queries(100)


def test_settings_default_to_everything_on(api, rita):
    body = api(rita).get("users/me/notification-settings").json()
    assert set(body) == set(Kind.values)
    assert all(value == {"in_app": True, "email": True} for value in body.values())


def test_settings_patch_changes_only_what_was_sent(api, rita):
    client = api(rita)
    response = client.patch(
        "users/me/notification-settings", {"comment_added": {"email": False}, "status_changed": {"in_app": False}}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["comment_added"] == {"in_app": True, "email": False}
    assert body["status_changed"] == {"in_app": False, "email": True}
    assert body["assigned"] == {"in_app": True, "email": True}
    again = client.patch("users/me/notification-settings", {"comment_added": {"in_app": False}}).json()
    assert again["comment_added"] == {"in_app": False, "email": False}
    assert client.get("users/me/notification-settings").json() == again


@pytest.mark.parametrize(
    "body",
    [
        {"no_such_kind": {"email": False}},
        {"assigned": {"sms": True}},
        {"assigned": {"email": "maybe"}},
        {"assigned": True},
    ],
)
def test_settings_patch_refuses_unknown_kinds_and_channels(api, rita, body):
    response = api(rita).patch("users/me/notification-settings", body)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_settings_schemas_name_every_kind():
    from apps.notifications.schemas import NotificationSettingsIn, NotificationSettingsOut

    assert set(NotificationSettingsOut.model_fields) == set(Kind.values)
    assert set(NotificationSettingsIn.model_fields) == set(Kind.values)
