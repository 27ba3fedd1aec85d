"""GET /views/counts: each view's count is the list's total for its filters, in constant queries."""

import io
from datetime import timedelta
from urllib.parse import parse_qsl

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import Role
from apps.core.testing.factories import make_team, make_user
from apps.queues import services
from apps.tickets.models import Tag
from apps.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

PERSONAL_FILTERS = [
    "",
    "priority=high",
    "tag=vpn",
    "q=printer",
    "q=HD-1",
    "sla=breached",
    "status=closed,resolved",
    "assignee=none",
    "my_teams=true&priority=urgent",
    "type=change",
]


@pytest.fixture
def workload(agent, requester, team):
    """Tickets of every kind the built-ins and the views above tell apart, some the agent can't see."""
    other = make_team("Facilities")
    now = timezone.now()
    vpn = Tag.objects.create(name="vpn")
    make_ticket(requester, team=team, assignee=agent, status="open", title="Printer jammed", priority="high")
    make_ticket(requester, team=team, assignee=agent, status="closed", title="Old printer")
    make_ticket(requester, team=team, status="new", title="VPN drops", priority="urgent").tags.add(vpn)
    make_ticket(requester, status="new", title="Untriaged printer question", type="question")
    make_ticket(requester, team=other, status="open", title="Printer in facilities")  # not the agent's
    make_ticket(requester, team=team, status="pending_approval", title="New laptop", type="change")
    make_ticket(requester, team=team, status="in_progress", sla_warning_at=now - timedelta(minutes=5))
    make_ticket(requester, team=team, status="on_hold", sla_warning_at=now + timedelta(hours=5))
    make_ticket(requester, team=team, status="open", sla_warning_at=now - timedelta(hours=1), sla_breached=True)
    make_ticket(requester, team=other, status="new", assignee=None, priority="urgent").tags.add(vpn)


def _list_total(client, filters: str, ordering: str | None) -> int:
    params = dict(parse_qsl(filters))
    params["limit"] = 3
    if ordering:
        params["ordering"] = ordering
    total, cursor = 0, None
    while True:
        response = client.get("tickets", {**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.json()
        total += len(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if not cursor:
            return total


@pytest.mark.parametrize("role", [Role.AGENT, Role.ADMIN])
def test_counts_equal_the_lists_totals_for_every_view(api, agent, team, workload, role):
    user = agent if role == Role.AGENT else make_user(role, teams=[team])
    for index, filters in enumerate(PERSONAL_FILTERS):
        services.view_create(actor=user, name=f"View {index}", filters=filters)
    services.view_create(actor=make_user(Role.ADMIN), name="Team queue", filters="assignee=none", team_id=team.pk)
    client = api(user)

    views = client.get("views", {"limit": 100}).json()["items"]
    counts = client.get("views/counts").json()["counts"]

    assert len(views) == 4 + len(PERSONAL_FILTERS) + 1
    assert set(counts) == {view["key"] for view in views}
    totals = {view["key"]: _list_total(client, view["filters"], view["ordering"]) for view in views}
    assert counts == totals
    # The data tells the views apart: not every count is the same.
    assert len(set(counts.values())) >= 4
    assert counts["my_open"] == (1 if role == Role.AGENT else 0)
    assert counts["waiting_for_approval"] == 1
    assert counts["at_risk"] == 1


def test_counts_take_the_same_queries_for_two_views_or_forty(api, agent, team, workload):
    client = api(agent)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("views/counts")
        assert response.status_code == 200
        return len(ctx.captured_queries)

    client.get("views/counts")  # warm: the first request also resolves the token (auth cache)
    few = queries()
    for index in range(40):
        services.view_create(actor=agent, name=f"V{index}", filters=PERSONAL_FILTERS[index % len(PERSONAL_FILTERS)])
    assert len(client.get("views/counts").json()["counts"]) == 44
    assert queries() == few


def test_a_requester_has_no_built_ins_and_counts_only_their_own_views(api, requester, workload):
    services.view_create(actor=requester, name="Mine", filters="status=open")
    client = api(requester)
    views = client.get("views").json()["items"]
    assert [(view["scope"], view["name"]) for view in views] == [("personal", "Mine")]
    key = views[0]["key"]
    assert client.get("views/counts").json()["counts"] == {key: _list_total(client, "status=open", None)}


def test_the_demo_agents_sidebar_has_every_kind_of_view_with_counts(api):
    from django.core.management import call_command

    from apps.accounts.models import User

    call_command("seed_demo", stdout=io.StringIO())
    agent = User.objects.get(email="agent@example.com")
    agent.clerk_id = "user_demo_agent"  # demo users sign in through the dev sign-in, which sets it
    agent.save()
    client = api(agent)
    views = client.get("views").json()["items"]
    assert [view["scope"] for view in views] == ["builtin"] * 4 + ["team", "personal"]
    counts = client.get("views/counts").json()["counts"]
    assert counts == {view["key"]: _list_total(client, view["filters"], view["ordering"]) for view in views}
    assert counts[views[4]["key"]] > 0
