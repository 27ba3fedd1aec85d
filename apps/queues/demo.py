"""Demo views: a team view for the Service Desk (urgent and high tickets not done yet) and a
personal one for the demo agent, so the workspace's sidebar shows every kind under `make run`."""

from apps.accounts.models import Team, User
from apps.queues import services
from apps.queues.builtins import NOT_DONE
from apps.queues.models import SavedView

TEAM_VIEW = "Desk: urgent first"
PERSONAL_VIEW = "My VPN tickets"


def seed() -> list[str]:
    admin = User.objects.filter(email="admin@example.com").first()
    agent = User.objects.filter(email="agent@example.com").first()
    desk = Team.objects.filter(name="Service Desk").first()
    if admin is None or agent is None or desk is None or SavedView.objects.filter(name=TEAM_VIEW).exists():
        return []
    services.view_create(
        actor=admin, name=TEAM_VIEW, filters=f"status={NOT_DONE}&team={desk.pk}", ordering="-priority", team_id=desk.pk
    )
    services.view_create(
        actor=agent, name=PERSONAL_VIEW, filters="q=vpn", columns=["number", "title", "status", "updated"]
    )
    return ["2 saved views (a Service Desk team view, a personal one for agent@example.com)"]
