"""The admin REST API for calendars and policies (API.md "SLA"), and a ticket's clocks."""

import pytest

from apps.sla.calendars import HOURS_24_7, HOURS_OFFICE
from apps.sla.models import BusinessCalendar, SlaPolicy
from apps.tickets import services as tickets

pytestmark = pytest.mark.django_db

OFFICE = {"name": "Berlin office", "timezone": "Europe/Berlin", "hours": HOURS_OFFICE, "holiday_country": "DE"}


def test_admins_create_list_update_and_delete_calendars(api, admin_user):
    client = api(admin_user)
    created = client.post("sla/calendars", {**OFFICE, "holidays": ["2026-12-31", "2026-12-24", "2026-12-24"]})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["hours"]["mon"] == [["09:00", "17:00"]]
    assert body["holidays"] == ["2026-12-24", "2026-12-31"]
    assert body["holiday_country"] == "DE"
    assert body["holiday_subdivision"] is None
    assert [c["name"] for c in client.get("sla/calendars").json()["items"]] == ["Berlin office"]

    hours = {**HOURS_OFFICE, "mon": [["08:00", "12:00"], ["13:00", "17:00"]]}
    updated = client.patch(f"sla/calendars/{body['id']}", {"hours": hours, "holiday_subdivision": "by"})
    assert updated.status_code == 200, updated.json()
    assert updated.json()["hours"]["mon"] == [["08:00", "12:00"], ["13:00", "17:00"]]
    assert updated.json()["holiday_subdivision"] == "BY"
    assert client.delete(f"sla/calendars/{body['id']}").status_code == 204
    assert not BusinessCalendar.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hours": {day: [] for day in HOURS_24_7}}, "hours"),
        ({"hours": {"mon": [["09:00", "17:00"]]}}, "hours"),
        ({"hours": {**HOURS_OFFICE, "tue": [["17:00", "09:00"]]}}, "hours"),
        ({"hours": {**HOURS_OFFICE, "tue": [["09:00", "13:00"], ["12:00", "17:00"]]}}, "hours"),
        ({"hours": {**HOURS_OFFICE, "tue": [["9am", "5pm"]]}}, "hours"),
        ({"hours": {**HOURS_OFFICE, "tue": [["24:00", "24:00"]]}}, "hours"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"holidays": ["2026-02-30"]}, "holidays"),
        ({"holiday_country": "XX"}, "holiday_country"),
        ({"holiday_subdivision": "ZZ"}, "holiday_subdivision"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_calendars_are_refused_field_by_field(api, admin_user, change, field):
    response = api(admin_user).post("sla/calendars", {**OFFICE, **change})
    assert response.status_code == 422, response.json()
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["details"]["fields"]


def test_a_calendar_in_use_is_not_deleted(api, admin_user):
    client = api(admin_user)
    calendar = client.post("sla/calendars", OFFICE).json()
    client.post(
        "sla/policies",
        {"name": "P", "calendar_id": calendar["id"], "first_response_minutes": 60, "resolution_minutes": 480},
    )
    response = client.delete(f"sla/calendars/{calendar['id']}")
    assert response.status_code == 409
    assert response.json()["code"] == "calendar_in_use"
    assert response.json()["details"] == {"policies": 1, "open_clocks": 0}


def test_admins_manage_policies(api, admin_user, team):
    client = api(admin_user)
    calendar = client.post("sla/calendars", OFFICE).json()
    created = client.post(
        "sla/policies",
        {
            "name": "Urgent incidents",
            "order": 1,
            "priority": "urgent",
            "type": "incident",
            "team_id": team.pk,
            "calendar_id": calendar["id"],
            "first_response_minutes": 30,
            "resolution_minutes": 240,
        },
    )
    assert created.status_code == 201, created.json()
    policy = created.json()
    assert policy["priority"] == "urgent"
    assert policy["pause_statuses"] == ["on_hold", "pending_approval"]
    assert policy["warning_percent"] == 75
    client.post(
        "sla/policies",
        {
            "name": "Everything else",
            "order": 99,
            "calendar_id": calendar["id"],
            "first_response_minutes": 240,
            "resolution_minutes": 2400,
        },
    )
    assert [p["name"] for p in client.get("sla/policies").json()["items"]] == ["Urgent incidents", "Everything else"]

    updated = client.patch(f"sla/policies/{policy['id']}", {"warning_percent": 90, "priority": None})
    assert updated.status_code == 200, updated.json()
    assert updated.json()["warning_percent"] == 90
    assert updated.json()["priority"] is None
    assert updated.json()["type"] == "incident"
    assert client.delete(f"sla/policies/{policy['id']}").status_code == 204
    assert client.get(f"sla/policies/{policy['id']}").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"calendar_id": 999999}, "calendar_id"),
        ({"team_id": 999999}, "team_id"),
        ({"first_response_minutes": 0}, "first_response_minutes"),
        ({"resolution_minutes": 30}, "resolution_minutes"),
        ({"warning_percent": 100}, "warning_percent"),
        ({"pause_statuses": ["resolved"]}, "pause_statuses"),
        ({"pause_statuses": ["sleeping"]}, "pause_statuses.0"),
        ({"priority": "critical"}, "priority"),
        ({"team_id": 2**63}, "team_id"),
    ],
)
def test_bad_policies_are_refused_field_by_field(api, admin_user, change, field):
    client = api(admin_user)
    calendar = client.post("sla/calendars", OFFICE).json()
    body = {"name": "P", "calendar_id": calendar["id"], "first_response_minutes": 60, "resolution_minutes": 480}
    response = client.post("sla/policies", {**body, **change})
    assert response.status_code == 422, response.json()
    assert field in response.json()["details"]["fields"]


def test_names_are_unique(api, admin_user):
    client = api(admin_user)
    client.post("sla/calendars", OFFICE)
    response = client.post("sla/calendars", OFFICE)
    assert response.status_code == 422
    assert "name" in response.json()["details"]["fields"]


def test_only_admins_manage_sla(api, agent, requester, admin_user):
    calendar = api(admin_user).post("sla/calendars", OFFICE).json()
    for user in (agent, requester):
        client = api(user)
        assert client.get("sla/calendars").status_code == 403
        assert client.get("sla/policies").status_code == 403
        assert client.post("sla/calendars", {**OFFICE, "name": "Mine"}).status_code == 403
        assert client.patch(f"sla/calendars/{calendar['id']}", {"name": "Mine"}).status_code == 403
        assert client.delete(f"sla/calendars/{calendar['id']}").status_code == 403
    assert api().get("sla/calendars").status_code == 401
    assert api(admin_user).patch("sla/calendars/999999", {"name": "x"}).status_code == 404


def test_a_tickets_clocks_with_history(api, clock, run_on_commit, requester, agent, standard_policy):
    ticket = run_on_commit(tickets.ticket_create, actor=requester, title="Clocks")
    clock.advance(minutes=5)
    run_on_commit(tickets.ticket_transition, actor=agent, ticket_id=ticket.pk, status="on_hold")
    response = api(requester).get(f"tickets/{ticket.pk}/sla")
    assert response.status_code == 200
    body = response.json()
    assert body["policy"] == "Standard"
    assert body["timezone"] == "UTC"
    assert [c["kind"] for c in body["clocks"]] == ["first_response", "resolution"]
    first = body["clocks"][0]
    assert first["state"] == "paused"
    assert first["remaining_minutes"] == 55
    assert [h["kind"] for h in first["history"]] == ["started", "paused"]
    detail = api(requester).get(f"tickets/{ticket.pk}").json()
    assert detail["sla"]["first_response"]["state"] == "paused"


def test_clocks_of_a_ticket_you_cannot_see_are_missing(api, clock, run_on_commit, requester, standard_policy):
    from apps.core.testing.factories import make_user

    ticket = run_on_commit(tickets.ticket_create, actor=requester, title="Private")
    stranger = make_user()
    assert api(stranger).get(f"tickets/{ticket.pk}/sla").status_code == 404
    assert SlaPolicy.objects.count() == 1
