from dataclasses import dataclass

import pytest

from apps.accounts.models import Role, Team, User
from apps.approvals.tests.factories import make_delegation, make_workflow
from apps.core.testing.factories import make_team, make_user
from apps.notifications.models import EmailState, Notification
from apps.tickets.models import Ticket
from apps.tickets.tests.factories import make_ticket


@dataclass
class Cast:
    """Everyone with a relation to one ticket, and some without (see the recipient matrix)."""

    team: Team
    ticket: Ticket
    requester: User  # raised the ticket (role requester)
    watcher: User  # watches it (role requester)
    staff_watcher: User  # watches it (agent of the team)
    assignee: User  # works it (agent of the team)
    actor: User  # does things in the tests (agent of the team)
    agent2: User  # another agent of the team, no relation
    lead: User  # the team's lead (agent)
    approver: User  # approver of the workflow (role requester)
    delegate: User  # stands in for the approver (role requester)
    mentioned: User  # an agent of the team, mentioned in comments
    stranger: User  # role requester, no relation
    stranger_agent: User  # agent of another team
    admin: User

    def name_of(self, user_id: int) -> str:
        for name, value in vars(self).items():
            if isinstance(value, User) and value.pk == user_id:
                return name
        return f"user {user_id}"

    def in_app(self, *, after: int = 0) -> dict[str, set[str]]:
        """{relation: kinds} of in-app notifications (made after the one with id `after`)."""
        return self._collect(Notification.objects.filter(in_app=True, pk__gt=after))

    @staticmethod
    def mark() -> int:
        """The newest notification's id: pass as `after` to see only what came later."""
        return Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def emailed(self) -> dict[str, set[str]]:
        """{relation: kinds} of notifications owed (or sent) by email."""
        return self._collect(Notification.objects.exclude(email_state=EmailState.NONE))

    def _collect(self, rows) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for recipient_id, kind in rows.values_list("recipient_id", "kind"):
            found.setdefault(self.name_of(recipient_id), set()).add(kind)
        return found

    def workflow(self):
        return make_workflow({"users": [self.approver]}, name="Purchase")


@pytest.fixture
def cast(db) -> Cast:
    lead = make_user(Role.AGENT, username="lead", name="Lee Lead")
    team = make_team("Service Desk", lead=lead)
    other = make_team("Facilities")
    agents = {
        name: make_user(Role.AGENT, teams=[team], username=name, name=name.title())
        for name in ("staff_watcher", "assignee", "actor", "agent2", "mentioned")
    }
    team.members.add(lead)
    people = {
        name: make_user(Role.REQUESTER, username=name, name=name.title())
        for name in ("requester", "watcher", "approver", "delegate", "stranger")
    }
    ticket = make_ticket(people["requester"], team=team, assignee=agents["assignee"], status="open", title="VPN down")
    ticket.watchers.add(people["watcher"], agents["staff_watcher"])
    make_delegation(people["approver"], people["delegate"])
    return Cast(
        team=team,
        ticket=ticket,
        lead=lead,
        stranger_agent=make_user(Role.AGENT, teams=[other], username="stranger_agent"),
        admin=make_user(Role.ADMIN, username="admin", name="Ada Admin"),
        **agents,
        **people,
    )
