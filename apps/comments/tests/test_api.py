import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Role
from apps.comments.models import Comment, CommentRevision
from apps.core.testing.factories import make_user
from apps.tickets.models import TicketEvent
from apps.tickets.services import ticket_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(requester, team):
    return ticket_create(actor=requester, title="Printer on fire", team_id=team.pk)


def post_comment(api, user, ticket, **body):
    body.setdefault("body", "Hello")
    return api(user).post(f"tickets/{ticket.pk}/comments", body)


def test_requester_and_agent_converse(api, requester, agent, ticket):
    created = post_comment(api, requester, ticket, body="It **smokes**")
    assert created.status_code == 201, created.json()
    comment = created.json()
    assert comment["body"] == "It **smokes**"
    assert comment["body_html"] == "<p>It <strong>smokes</strong></p>\n"
    assert comment["author"]["id"] == requester.pk
    assert comment["internal"] is False and comment["deleted"] is False and comment["attachments"] == []

    reply = post_comment(api, agent, ticket, body="On my way", parent_id=comment["id"])
    assert reply.status_code == 201
    assert reply.json()["parent_id"] == comment["id"]

    listed = api(requester).get(f"tickets/{ticket.pk}/comments").json()
    assert [c["id"] for c in listed["items"]] == [comment["id"], reply.json()["id"]]
    assert listed["next_cursor"] is None


def test_internal_note_is_invisible_to_the_requester(api, requester, agent, ticket):
    public = post_comment(api, agent, ticket, body="We're on it").json()
    note = post_comment(api, agent, ticket, body="Requester is grumpy", internal=True).json()
    assert note["internal"] is True

    requester_view = api(requester).get(f"tickets/{ticket.pk}/comments").json()["items"]
    assert [c["id"] for c in requester_view] == [public["id"]]
    staff_view = api(agent).get(f"tickets/{ticket.pk}/comments").json()["items"]
    assert [c["id"] for c in staff_view] == [public["id"], note["id"]]

    assert api(requester).patch(f"comments/{note['id']}", {"body": "x"}).status_code == 404
    assert api(requester).delete(f"comments/{note['id']}").status_code == 404
    assert api(requester).get(f"comments/{note['id']}/revisions").status_code == 404
    events = api(requester).get(f"tickets/{ticket.pk}/events").json()["items"]
    assert [e["kind"] for e in events if e["kind"].startswith("comment")] == ["comment_added"]
    assert TicketEvent.objects.filter(kind="comment_added", internal=True).count() == 1


def test_requester_cannot_write_an_internal_note(api, requester, ticket):
    response = post_comment(api, requester, ticket, internal=True)
    assert response.status_code == 403
    assert response.json()["code"] == "internal_note_staff_only"
    assert not Comment.objects.exists()


def test_reply_to_an_internal_note_is_internal(api, agent, ticket):
    note = post_comment(api, agent, ticket, body="note", internal=True).json()
    reply = post_comment(api, agent, ticket, body="re", parent_id=note["id"]).json()
    assert reply["internal"] is True


def test_replies_are_one_level_deep_and_on_the_same_ticket(api, requester, agent, ticket):
    top = post_comment(api, requester, ticket).json()
    reply = post_comment(api, agent, ticket, parent_id=top["id"]).json()
    nested = post_comment(api, requester, ticket, parent_id=reply["id"])
    assert nested.status_code == 422
    assert "parent_id" in nested.json()["details"]["fields"]
    other = ticket_create(actor=requester, title="Other")
    elsewhere = post_comment(api, requester, other, parent_id=top["id"])
    assert elsewhere.status_code == 422


def test_requester_cannot_reply_to_a_hidden_internal_note(api, requester, agent, ticket):
    note = post_comment(api, agent, ticket, internal=True).json()
    response = post_comment(api, requester, ticket, parent_id=note["id"])
    assert response.status_code == 422
    assert response.json()["details"]["fields"]["parent_id"] == ["No such comment on this ticket."]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 20001}, "body"),
        ({"body": "ok", "author_id": 1}, "author_id"),
        ({"body": "ok", "internal": "maybe"}, "internal"),
        ({}, "body"),
    ],
)
def test_bad_input_is_a_422_with_fields(api, requester, ticket, payload, field):
    response = api(requester).post(f"tickets/{ticket.pk}/comments", payload)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["details"]["fields"]


def test_body_of_20000_characters_is_accepted(api, requester, ticket):
    assert post_comment(api, requester, ticket, body="x" * 20000).status_code == 201


def test_ticket_the_caller_cannot_see_is_a_404(api, requester, ticket):
    stranger = make_user(Role.REQUESTER)
    assert api(stranger).get(f"tickets/{ticket.pk}/comments").status_code == 404
    assert post_comment(api, stranger, ticket).status_code == 404
    comment = post_comment(api, requester, ticket).json()
    assert api(stranger).patch(f"comments/{comment['id']}", {"body": "mine now"}).status_code == 404
    assert api(stranger).get("tickets/999999/comments").status_code == 404


def test_author_edits_and_staff_read_the_history(api, requester, agent, ticket):
    comment = post_comment(api, requester, ticket, body="first").json()
    edited = api(requester).patch(f"comments/{comment['id']}", {"body": "second"})
    assert edited.status_code == 200
    assert edited.json()["body"] == "second" and edited.json()["edited_at"]
    api(requester).patch(f"comments/{comment['id']}", {"body": "third"})

    history = api(agent).get(f"comments/{comment['id']}/revisions")
    assert history.status_code == 200
    assert [r["body"] for r in history.json()] == ["first", "second"]
    assert api(requester).get(f"comments/{comment['id']}/revisions").status_code == 403

    not_author = api(agent).patch(f"comments/{comment['id']}", {"body": "agent rewrite"})
    assert not_author.status_code == 403
    assert CommentRevision.objects.count() == 2


def test_delete_leaves_a_placeholder(api, requester, agent, admin_user, ticket):
    mine = post_comment(api, requester, ticket, body="oops").json()
    reply = post_comment(api, agent, ticket, body="re", parent_id=mine["id"]).json()
    assert api(agent).delete(f"comments/{mine['id']}").status_code == 403
    assert api(requester).delete(f"comments/{mine['id']}").status_code == 204

    items = api(requester).get(f"tickets/{ticket.pk}/comments").json()["items"]
    placeholder = items[0]
    assert placeholder["deleted"] is True and placeholder["body"] == "" and placeholder["body_html"] == ""
    assert items[1]["id"] == reply["id"] and items[1]["parent_id"] == mine["id"]
    assert api(requester).patch(f"comments/{mine['id']}", {"body": "back"}).status_code == 409
    assert api(admin_user).delete(f"comments/{reply['id']}").status_code == 204
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds.count("comment_deleted") == 2


def test_pagination_by_cursor(api, requester, ticket):
    ids = [post_comment(api, requester, ticket, body=f"c{i}").json()["id"] for i in range(5)]
    first = api(requester).get(f"tickets/{ticket.pk}/comments", {"limit": 3}).json()
    assert [c["id"] for c in first["items"]] == ids[:3]
    second = api(requester).get(f"tickets/{ticket.pk}/comments", {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [c["id"] for c in second["items"]] == ids[3:]
    assert second["next_cursor"] is None
    assert api(requester).get(f"tickets/{ticket.pk}/comments", {"cursor": "abc"}).status_code == 422


def _list_queries(api, user, ticket) -> int:
    client = api(user)
    client.get(f"tickets/{ticket.pk}/comments")  # warm-up: authentication caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"tickets/{ticket.pk}/comments", {"limit": 200})
    assert response.status_code == 200
    return len(queries), len(response.json()["items"])


def test_list_query_count_does_not_grow_with_the_thread(api, requester, agent, ticket):
    from apps.attachments.models import Attachment

    def add(count):
        for i in range(count):
            comment = Comment.objects.create(
                ticket=ticket, author=agent if i % 2 else requester, body=f"c{i}", body_html=f"<p>c{i}</p>"
            )
            Attachment.objects.create(
                ticket=ticket,
                comment=comment,
                uploaded_by=comment.author,
                key=f"attachments/{comment.pk:032x}",
                storage="local",
                filename="a.txt",
                content_type="text/plain",
                size=1,
                status="available",
            )

    add(5)
    small, count_small = _list_queries(api, requester, ticket)
    add(45)
    large, count_large = _list_queries(api, requester, ticket)
    assert (count_small, count_large) == (5, 50)
    assert small == large


def test_a_deleted_comment_takes_its_text_and_history_with_it(api, requester, agent, ticket):
    comment = post_comment(api, requester, ticket, body="my password is hunter2").json()
    api(requester).patch(f"comments/{comment['id']}", {"body": "oops, removed it"})
    assert len(api(agent).get(f"comments/{comment['id']}/revisions").json()) == 1

    assert api(requester).delete(f"comments/{comment['id']}").status_code == 204
    history = api(agent).get(f"comments/{comment['id']}/revisions")
    assert (history.status_code, history.json()) == (200, [])
    stored = Comment.objects.get(pk=comment["id"])
    assert (stored.body, stored.body_html) == ("", "")
    assert not CommentRevision.objects.filter(comment_id=comment["id"]).exists()


def test_mentions_of_readers_render_as_names_and_others_stay_text(api, requester, agent, ticket):
    # Olga is an agent of no team: she can't read a ticket of the Service Desk, so her name is not shown.
    make_user(Role.AGENT, username="olga", name="Olga Outsider")
    comment = post_comment(api, requester, ticket, body="@alan please, not @olga").json()
    assert comment["body_html"] == '<p><span class="mention" title="@alan">@Alan Agent</span> please, not @olga</p>\n'
