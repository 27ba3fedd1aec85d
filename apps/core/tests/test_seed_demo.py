import io
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client

from apps.accounts.models import Role, Team, User
from apps.core.management.commands.seed_demo import demo_modules

pytestmark = pytest.mark.django_db

EXPECTED_ROLES = {
    "requester@example.com": Role.REQUESTER,
    "requester2@example.com": Role.REQUESTER,
    "agent@example.com": Role.AGENT,
    "agent2@example.com": Role.AGENT,
    "approver@example.com": Role.REQUESTER,
    "admin@example.com": Role.ADMIN,
}


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _snapshot() -> dict:
    """Row counts of every model: a second seed must not add any."""
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_seed_creates_users_per_role_and_teams():
    _seed()
    users = {u.email: u for u in User.objects.filter(email__in=EXPECTED_ROLES)}
    assert {email: u.role for email, u in users.items()} == EXPECTED_ROLES
    admin = users["admin@example.com"]
    assert admin.is_staff and admin.is_superuser
    assert not any(u.is_staff for email, u in users.items() if email != "admin@example.com")

    desk = Team.objects.get(name="Service Desk")
    assert desk.lead.email == "agent@example.com"
    assert sorted(desk.members.values_list("email", flat=True)) == ["agent2@example.com", "agent@example.com"]
    assert Team.objects.filter(name="Facilities").exists()


def test_seed_twice_creates_nothing_twice_and_keeps_edits():
    _seed()
    first = _snapshot()
    User.objects.filter(email="agent@example.com").update(name="Edited Name")
    output = _seed()
    assert _snapshot() == first
    assert User.objects.get(email="agent@example.com").name == "Edited Name"
    assert "0 created" in output


def test_admin_gets_the_known_password_only_in_debug(settings):
    settings.DEBUG = True
    output = _seed()
    assert User.objects.get(email="admin@example.com").check_password("admin")
    assert "password 'admin'" in output


def test_admin_has_no_password_without_debug(settings):
    settings.DEBUG = False
    output = _seed()
    admin = User.objects.get(email="admin@example.com")
    assert not admin.has_usable_password()
    assert not admin.check_password("admin")
    assert "'admin'" not in output
    assert "changepassword" in output


def test_every_app_demo_module_is_called_in_installed_apps_order():
    expected = [
        f"{config.name}.demo"
        for config in apps.get_app_configs()
        if config.name.startswith("apps.") and (Path(config.path) / "demo.py").is_file()
    ]
    assert "apps.accounts.demo" in expected
    assert [module.__name__ for module in demo_modules()] == expected


def test_seeded_users_can_use_dev_sign_in(settings, api):
    settings.AUTH_DEV_LOGIN = True
    _seed()
    token = (
        Client()
        .post("/api/v1/auth/dev/token", {"email": "agent@example.com"}, content_type="application/json")
        .json()["access_token"]
    )
    me = api(token=token).get("users/me").json()
    assert me["email"] == "agent@example.com"
    assert me["role"] == Role.AGENT
    assert [team["name"] for team in me["teams"]] == ["Service Desk"]
