from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class Role(models.TextChoices):
    REQUESTER = "requester", "Requester"
    AGENT = "agent", "Agent"
    ADMIN = "admin", "Admin"


def display_name_of(name: str, first_name: str, last_name: str, email: str, username: str) -> str:
    """How a person is shown: for a User, and for rows read with .values() in list selectors."""
    return name or f"{first_name} {last_name}".strip() or email or username


# The columns display_name_of needs, for selectors that read users as values.
USER_VALUE_FIELDS = ("id", "email", "name", "first_name", "last_name", "username", "role")


class User(AbstractUser):
    # Clerk's user id (`sub`); null for staff created only for the admin site.
    clerk_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REQUESTER, db_index=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # One account per email, whatever the letter case: sign-in links accounts by email
            # (apps.accounts.services.user_provision_from_session). Users without one are many.
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="accounts_user_email_ci_unique",
                violation_error_message="A user with this email address already exists.",
            )
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.username

    @property
    def display_name(self) -> str:
        return display_name_of(self.name, self.first_name, self.last_name, self.email, self.username)

    @property
    def is_agent(self) -> bool:
        return self.role == Role.AGENT

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_staff_role(self) -> bool:
        """Agents and admins: may see internal notes and work tickets."""
        return self.role in (Role.AGENT, Role.ADMIN)


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_teams"
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A personal token for scripts. Only a SHA-256 of the secret is stored; the secret is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
