"""The Django admin saves calendars and policies through the same services as the API."""

import json

import pytest
from django.test import Client

from apps.sla.calendars import HOURS_OFFICE
from apps.sla.models import BusinessCalendar, SlaPolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    return client


def calendar_form(**overrides) -> dict:
    return {
        "name": "Office",
        "timezone": "Europe/Berlin",
        "hours": json.dumps(HOURS_OFFICE),
        "holidays": json.dumps(["2026-12-24"]),
        "holiday_country": "DE",
        "holiday_subdivision": "",
        **overrides,
    }


def test_a_calendar_and_a_policy_are_added_through_the_services(staff, team):
    response = staff.post("/admin/sla/businesscalendar/add/", calendar_form())
    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get()
    assert calendar.hours["mon"] == [["09:00", "17:00"]]
    response = staff.post(
        "/admin/sla/slapolicy/add/",
        {
            "name": "Desk",
            "order": 1,
            "priority": "4",
            "type": "",
            "team": team.pk,
            "calendar": calendar.pk,
            "first_response_minutes": 30,
            "resolution_minutes": 240,
            "pause_statuses": ["on_hold"],
            "warning_percent": 80,
        },
    )
    assert response.status_code == 302
    policy = SlaPolicy.objects.get()
    assert (policy.priority, policy.type, policy.team_id, policy.pause_statuses) == (4, "", team.pk, ["on_hold"])
    # In use by the policy: the admin refuses to delete the calendar and says why.
    response = staff.post(f"/admin/sla/businesscalendar/{calendar.pk}/delete/", {"post": "yes"}, follow=True)
    assert BusinessCalendar.objects.filter(pk=calendar.pk).exists()
    assert "Cannot delete business calendar" in response.content.decode()


def test_a_calendar_without_working_time_is_refused_with_the_reason(staff):
    empty = {day: [] for day in HOURS_OFFICE}
    response = staff.post("/admin/sla/businesscalendar/add/", calendar_form(hours=json.dumps(empty)), follow=True)
    assert not BusinessCalendar.objects.exists()
    assert "needs some working time" in response.content.decode()
