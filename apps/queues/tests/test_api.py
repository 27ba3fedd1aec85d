"""Saved views over REST: personal and team views, object-level permission (unseen = 404), the
list's rules for filters."""

import pytest

from apps.accounts.models import Role
from apps.core.testing.factories import make_team, make_user
from apps.queues import services
from apps.queues.models import DEFAULT_COLUMNS, SavedView

pytestmark = pytest.mark.django_db


def test_an_agent_saves_a_personal_view_with_normalised_filters(api, agent):
    response = api(agent).post(
        "views",
        {
            "name": " Urgent VPN ",
            "filters": "priority=urgent&tag=VPN&status=new&status=open&created_after=2026-01-01T10:00:00%2B02:00",
            "ordering": "-updated",
            "columns": ["number", "title", "sla"],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == {
        "key": str(body["id"]),
        "id": body["id"],
        "name": "Urgent VPN",
        "scope": "personal",
        "team": None,
        "filters": "status=new,open&priority=urgent&tag=VPN&created_after=2026-01-01T08:00:00Z",
        "ordering": "-updated",
        "columns": ["number", "title", "sla"],
        "editable": True,
    }
    listed = api(agent).get("views").json()
    assert [view["key"] for view in listed["items"]] == [
        "my_open",
        "unassigned_in_my_teams",
        "at_risk",
        "waiting_for_approval",
        str(body["id"]),
    ]
    assert listed["next_cursor"] is None
    assert listed["items"][0]["columns"] == list(DEFAULT_COLUMNS)
    assert api(agent).get(f"views/{body['id']}").json() == body


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "x", "filters": "priority=meh"}, "filters.priority"),
        ({"name": "x", "filters": "ordering=-created"}, "filters.ordering"),
        ({"name": "x", "filters": "cursor=abc"}, "filters.cursor"),
        ({"name": "x", "filters": "team=0"}, "filters.team"),
        ({"name": "x", "filters": "team=1&team=2"}, "filters.team"),
        ({"name": "x", "filters": "assignee=someone"}, "filters.assignee"),
        ({"name": "x", "filters": "created_after=2026-01-01T10:00:00"}, "filters.created_after"),
        ({"name": "x", "filters": "my_teams=maybe"}, "filters.my_teams"),
        ({"name": "x", "filters": "q=%00"}, "filters.q"),
        ({"name": "   "}, "name"),
        ({"name": "x", "columns": []}, "columns"),
        ({"name": "x", "columns": ["title", "title"]}, "columns"),
        ({"name": "x", "columns": ["secret"]}, "columns.0"),
        ({"name": "x", "ordering": "name"}, "ordering"),
        ({"name": "x", "owner_id": 1}, "owner_id"),
    ],
)
def test_bad_views_are_422_naming_the_field(api, agent, payload, field):
    response = api(agent).post("views", payload)
    assert response.status_code == 422, response.json()
    assert field in response.json()["details"]["fields"]
    assert not SavedView.objects.exists()


def test_personal_views_are_their_owners_only(api, agent, team):
    view = services.view_create(actor=agent, name="Mine", filters="assignee=me")
    colleague = make_user(Role.AGENT, teams=[team])
    admin = make_user(Role.ADMIN)
    for stranger in (colleague, admin):
        client = api(stranger)
        assert client.get(f"views/{view.pk}").status_code == 404
        assert client.patch(f"views/{view.pk}", {"name": "Theirs"}).status_code == 404
        assert client.delete(f"views/{view.pk}").status_code == 404
        assert str(view.pk) not in {item["key"] for item in client.get("views").json()["items"]}

    response = api(agent).patch(f"views/{view.pk}", {"name": "Mine, renamed", "filters": "assignee=me&sla=at_risk"})
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["filters"]) == ("Mine, renamed", "assignee=me&sla=at_risk")
    assert api(agent).delete(f"views/{view.pk}").status_code == 204
    assert not SavedView.objects.exists()


def test_team_views_are_defined_by_admins_and_seen_by_the_team(api, agent, team):
    admin = make_user(Role.ADMIN)
    outsider = make_user(Role.AGENT, teams=[make_team("Facilities")])

    assert api(agent).post("views", {"name": "Team", "team_id": team.pk}).json()["code"] == "admin_only"
    assert api(admin).post("views", {"name": "Team", "team_id": 10**12}).status_code == 422
    response = api(admin).post("views", {"name": "Team queue", "filters": "assignee=none", "team_id": team.pk})
    assert response.status_code == 201
    view = response.json()
    assert (view["scope"], view["team"], view["editable"]) == ("team", {"id": team.pk, "name": team.name}, True)

    seen = api(agent).get(f"views/{view['id']}")
    assert seen.status_code == 200
    assert seen.json()["editable"] is False
    assert api(agent).patch(f"views/{view['id']}", {"name": "Ours"}).json()["code"] == "admin_only"
    assert api(agent).delete(f"views/{view['id']}").status_code == 403
    assert api(outsider).get(f"views/{view['id']}").status_code == 404
    assert api(outsider).patch(f"views/{view['id']}", {"name": "x"}).status_code == 404
    assert view["key"] in api(agent).get("views/counts").json()["counts"]
    assert view["key"] not in api(outsider).get("views/counts").json()["counts"]
    assert api(admin).patch(f"views/{view['id']}", {"columns": ["title"]}).json()["columns"] == ["title"]
    assert SavedView.objects.get().name == "Team queue"


def test_views_page_with_signed_cursors(api, agent):
    for index in range(5):
        services.view_create(actor=agent, name=f"V{index}")
    client = api(agent)
    first = client.get("views", {"limit": 2}).json()
    assert [item["name"] for item in first["items"]][-2:] == ["V0", "V1"]
    second = client.get("views", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [item["name"] for item in second["items"]] == ["V2", "V3"]
    assert client.get("views", {"cursor": first["next_cursor"] + "x"}).status_code == 422


def test_the_number_of_views_is_bounded(api, agent, monkeypatch):
    monkeypatch.setattr(services, "MAX_PERSONAL_VIEWS", 2)
    client = api(agent)
    assert [client.post("views", {"name": f"V{i}"}).status_code for i in range(3)] == [201, 201, 409]
    assert client.post("views", {"name": "V"}).json()["code"] == "too_many_views"


@pytest.mark.django_db(transaction=True)
def test_changes_are_announced_to_the_sidebars_that_show_the_view(agent, team, settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    from apps.core.testing.events import EventRecorder

    admin = make_user(Role.ADMIN)
    colleague = make_user(Role.AGENT, teams=[team])
    outsider = make_user(Role.AGENT)
    recorder = EventRecorder(*(f"user:{user.pk}" for user in (agent, colleague, outsider, admin)))

    personal = services.view_create(actor=agent, name="Mine")
    shared = services.view_create(actor=admin, name="Team", team_id=team.pk)
    services.view_delete(actor=admin, view_id=shared.pk)

    received = [(m["topic"], m["data"]["view"]["id"], m["data"]["deleted"]) for m in recorder.drain()]
    assert sorted(received) == sorted(
        [
            (f"user:{agent.pk}", personal.pk, False),
            (f"user:{agent.pk}", shared.pk, False),
            (f"user:{colleague.pk}", shared.pk, False),
            (f"user:{agent.pk}", shared.pk, True),
            (f"user:{colleague.pk}", shared.pk, True),
        ]
    )
