"""Demo macros: a global reply-and-resolve, a team note, an agent's personal one."""

from apps.accounts.models import Team, User
from apps.macros import services
from apps.macros.models import Macro


def seed() -> list[str]:
    admin = User.objects.filter(email="admin@example.com").first()
    agent = User.objects.filter(email="agent@example.com").first()
    desk = Team.objects.filter(name="Service Desk").first()
    if admin is None or agent is None or desk is None or Macro.objects.exists():
        return []
    services.macro_create(
        actor=admin,
        name="Resolved — thanks",
        body=(
            "Hi {{requester.first_name}},\n\nwe have fixed {{ticket.number}} ({{ticket.title}}). "
            "If anything is still wrong, just reply and the ticket reopens.\n\n{{agent.name}}"
        ),
        visibility="global",
        set_status="resolved",
    )
    services.macro_create(
        actor=admin,
        name="Need more information",
        body="Hi {{requester.first_name}}, could you tell us when this started and what you see on screen?",
        visibility="global",
        set_status="on_hold",
    )
    services.macro_create(
        actor=agent,
        name="Escalate to second line",
        body="Escalating {{ticket.number}}: first-line checks done, needs hands-on work.",
        internal=True,
        visibility="team",
        team_id=desk.pk,
        set_priority="high",
        assign="me",
    )
    services.macro_create(
        actor=agent,
        name="Taking this",
        body="Hi {{requester.first_name}}, I'm {{agent.first_name}} and I'm looking into this now.",
        assign="me",
        set_status="in_progress",
    )
    return ["macros: 4 demo macros"]
