"""Demo users and teams for `manage.py seed_demo` (idempotent: a second run creates nothing)."""

from django.conf import settings

from apps.accounts.models import Role
from apps.accounts.services import team_ensure, user_ensure

DEMO_USERS = [
    # (email, name, role)
    ("requester@example.com", "Rita Requester", Role.REQUESTER),
    ("requester2@example.com", "Rob Requester", Role.REQUESTER),
    ("agent@example.com", "Alan Agent", Role.AGENT),
    ("agent2@example.com", "Anna Agent", Role.AGENT),
    ("approver@example.com", "Amy Approver", Role.REQUESTER),
]
ADMIN_EMAIL = "admin@example.com"
DEV_ADMIN_PASSWORD = "admin"  # noqa: S105 (seeded only when DEBUG=1)


def seed() -> list[str]:
    users = {}
    created = 0
    for email, name, role in DEMO_USERS:
        users[email], was_created = user_ensure(email=email, name=name, role=role, username=email.split("@")[0])
        created += was_created
    admin, admin_created = user_ensure(
        email=ADMIN_EMAIL,
        name="Ada Admin",
        role=Role.ADMIN,
        username="admin",
        is_staff=True,
        is_superuser=True,
        # A known password is a convenience for a developer's machine only.
        password=DEV_ADMIN_PASSWORD if settings.DEBUG else None,
    )
    created += admin_created

    team_ensure(
        name="Service Desk",
        description="First line: every new ticket lands here.",
        lead=users["agent@example.com"],
        members=[users["agent@example.com"], users["agent2@example.com"]],
    )
    team_ensure(name="Facilities", description="Buildings, desks, access badges.")

    lines = [f"users: {created} created, {len(DEMO_USERS) + 1 - created} already there"]
    if settings.DEBUG and admin.check_password(DEV_ADMIN_PASSWORD):
        lines.append(f"admin sign-in at /admin/: username 'admin', password '{DEV_ADMIN_PASSWORD}' (DEBUG only)")
    elif not admin.has_usable_password():
        lines.append("admin has no password: set one with `manage.py changepassword admin`")
    lines.append("dev sign-in emails: " + ", ".join([email for email, *_ in DEMO_USERS] + [ADMIN_EMAIL]))
    return lines
