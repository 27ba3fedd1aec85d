"""The Django admin defines team views through the same services (and rules) as REST."""

import pytest
from django.test import Client

from apps.queues.models import SavedView

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_user):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    return client


def form(team, **overrides) -> dict:
    return {
        "name": "Triage",
        "team": team.pk,
        "filters": "assignee=none&status=new",
        "ordering": "-created",
        "columns": ["number", "title", "status"],
        **overrides,
    }


def test_a_team_view_is_added_changed_and_deleted_through_the_services(staff, admin_user, team):
    response = staff.post("/admin/queues/savedview/add/", form(team))
    assert response.status_code == 302
    view = SavedView.objects.get()
    assert (view.team_id, view.owner_id, view.created_by_id) == (team.pk, None, admin_user.pk)
    assert (view.filters, view.ordering, view.columns) == (
        "status=new&assignee=none",
        "-created",
        ["number", "title", "status"],
    )

    response = staff.post(f"/admin/queues/savedview/{view.pk}/change/", form(team, filters="sla=at_risk", ordering=""))
    assert response.status_code == 302
    view.refresh_from_db()
    assert (view.filters, view.ordering) == ("sla=at_risk", "")
    assert staff.get("/admin/queues/savedview/").status_code == 200

    staff.post(f"/admin/queues/savedview/{view.pk}/delete/", {"post": "yes"})
    assert not SavedView.objects.exists()


def test_filters_the_list_would_refuse_are_not_saved_and_the_reason_shown(staff, team):
    response = staff.post("/admin/queues/savedview/add/", form(team, filters="priority=meh"), follow=True)
    assert not SavedView.objects.exists()
    assert "filters.priority" in response.content.decode()
