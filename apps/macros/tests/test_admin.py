import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client

from apps.accounts.models import Role
from apps.core.testing.factories import make_user
from apps.macros.models import Macro
from apps.macros.services import macro_create

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_staff(db):
    return make_user(Role.ADMIN, is_staff=True, is_superuser=True, name="Ada Admin")


FORM = {
    "name": "Resolve",
    "body": "Done, {{requester.first_name}}.",
    "visibility": "global",
    "team": "",
    "set_status": "resolved",
    "set_priority": "3",
    "assign": "me",
    "assign_user": "",
}


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_admin_creates_through_the_service_and_its_checks(admin_staff):
    client = _client(admin_staff)
    response = client.post("/admin/macros/macro/add/", FORM, follow=True)
    assert response.status_code == 200
    macro = Macro.objects.get()
    assert (macro.owner_id, macro.visibility, macro.set_priority, macro.version) == (admin_staff.pk, "global", 3, 1)

    bad = client.post("/admin/macros/macro/add/", {**FORM, "body": "{{ticket.secret}}"}, follow=True)
    assert any("Unknown placeholder(s): ticket.secret" in m for m in _messages(bad))
    assert Macro.objects.count() == 1

    changed = client.post(f"/admin/macros/macro/{macro.pk}/change/", {**FORM, "name": "Resolve now"}, follow=True)
    assert changed.status_code == 200
    macro.refresh_from_db()
    assert (macro.name, macro.version) == ("Resolve now", 2)


def test_admin_lists_only_what_the_staff_member_may_use_and_change(admin_staff, team, agent):
    agent.is_staff = True
    agent.save()
    for codename in ("view_macro", "change_macro", "delete_macro", "add_macro"):
        agent.user_permissions.add(Permission.objects.get(codename=codename))
    private = macro_create(actor=admin_staff, name="Ada's own", body="x")
    everyone = macro_create(actor=admin_staff, name="Everyone", body="x", visibility="global")
    client = _client(agent)
    listed = client.get("/admin/macros/macro/")
    assert b"Everyone" in listed.content and b"Ada&#x27;s own" not in listed.content
    assert client.get(f"/admin/macros/macro/{private.pk}/change/").status_code == 302  # "doesn't exist"
    # Visible but not theirs to change: the form is read-only and a forged post changes nothing.
    client.post(f"/admin/macros/macro/{everyone.pk}/change/", {**FORM, "name": "Hijacked"})
    everyone.refresh_from_db()
    assert everyone.name == "Everyone"
    client.post(f"/admin/macros/macro/{everyone.pk}/delete/", {"post": "yes"})
    assert Macro.objects.filter(pk=everyone.pk).exists()
