"""Email, end to end: a real db_worker process sends through a real SMTP server on loopback."""

import re
from datetime import timedelta
from email.utils import parseaddr
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from apps.comments import services as comments
from apps.core.testing.markers import requires_postgres
from apps.core.testing.smtp import SmtpServer
from apps.core.testing.workers import drain_queue, running_worker, wait_until
from apps.notifications.models import EmailState, Notification, OutgoingEmail
from apps.notifications.selectors import settings_of
from apps.notifications.tasks import send_emails

pytestmark = pytest.mark.django_db(transaction=True)

SITE = "https://helpdesk.example.com"
WORKER = {"SITE_URL": SITE, "DEFAULT_FROM_EMAIL": "Helpdesk <support@example.com>"}


@pytest.fixture(autouse=True)
def no_window(settings):
    """Emails are due at once unless a test opens a coalescing window."""
    settings.EMAIL_COALESCE_SECONDS = 0
    settings.SITE_URL = SITE


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def comment(cast, body, author=None, ticket_id=None, **kwargs):
    ticket_id = ticket_id or cast.ticket.pk
    return comments.comment_create(actor=author or cast.actor, ticket_id=ticket_id, body=body, **kwargs)


def by_recipient(messages) -> dict[str, object]:
    return {m.rcpt_tos[0]: m for m in messages}


def test_the_worker_sends_one_threaded_email_per_recipient_with_both_parts(cast, smtp):
    comment(cast, "We are on it.\nThe firewall rule is back.")
    drain_queue(WORKER | smtp.env())
    messages = by_recipient(smtp.received())
    assert set(messages) == {u.email for u in (cast.requester, cast.watcher, cast.staff_watcher, cast.assignee)}

    mail = messages[cast.requester.email]
    parsed = mail.parsed
    assert parseaddr(parsed["From"])[1] == "support@example.com"
    assert parsed["To"] == cast.requester.email
    assert parsed["Subject"] == f"[{cast.ticket.key}] VPN down"
    assert parsed.get_content_type() == "multipart/alternative"
    text, html = mail.part("text/plain"), mail.part("text/html")
    for part in (text, html):
        assert f"Actor commented on {cast.ticket.key}" in part
        assert f"{SITE}/tickets/{cast.ticket.pk}" in part
    assert "> We are on it.\n> The firewall rule is back." in text
    assert "The firewall rule is back." in html and "<!doctype html>" in html

    root = f"<ticket-{cast.ticket.pk}@example.com>"
    assert parsed["Message-ID"].endswith("@example.com>")
    assert mail.header("In-Reply-To") == root and mail.header("References") == root
    assert mail.header("List-Unsubscribe").startswith(f"<{SITE}/api/v1/notifications/unsubscribe/")
    assert mail.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert f"{SITE}/unsubscribe/" in text

    # The next email about the ticket answers the previous one: one thread in the mail client.
    comment(cast, "Fixed.")
    drain_queue(WORKER | smtp.env())
    follow_up = by_recipient(smtp.received()[4:])[cast.requester.email]
    assert follow_up.header("In-Reply-To") == mail.header("Message-ID")
    assert follow_up.header("References") == f"{root} {mail.header('Message-ID')}"
    assert follow_up.header("Subject") == mail.header("Subject")

    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.SENT}
    assert set(OutgoingEmail.objects.values_list("state", flat=True)) == {OutgoingEmail.State.SENT}


def unsubscribe_path(message) -> str:
    return message.header("List-Unsubscribe").strip("<>").removeprefix(SITE)


def test_one_click_unsubscribe_works_once_and_only_for_its_user_and_kind(cast, smtp):
    comment(cast, "First")
    drain_queue(WORKER | smtp.env())
    mails = by_recipient(smtp.received())
    path = unsubscribe_path(mails[cast.requester.email])

    looked = Client().get(path)  # mail scanners open links: that changes nothing
    assert looked.status_code == 200
    assert looked.json() == {
        "kinds": ["comment_added"],
        "topics": ["new comments on tickets you follow"],
        "email": cast.requester.email[0] + "…@example.com",
        "used": False,
    }
    assert settings_of(cast.requester)["comment_added"]["email"] is True

    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to the header's URL.
    response = Client().post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert response.json()["used"] is True
    mine = settings_of(cast.requester)
    assert mine["comment_added"] == {"in_app": True, "email": False}
    assert all(v == {"in_app": True, "email": True} for k, v in mine.items() if k != "comment_added")
    assert settings_of(cast.watcher)["comment_added"]["email"] is True

    again = Client().post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert again.status_code == 409 and again.json()["code"] == "link_used"
    token = path.rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    assert Client().post(path.replace(token, tampered)).status_code == 404
    assert Client().post("/api/v1/notifications/unsubscribe/not$a$token").status_code in (404, 422)

    # The next comment: in the app for the requester, by email only for the others.
    comment(cast, "Second")
    drain_queue(WORKER | smtp.env())
    latest = {m.rcpt_tos[0] for m in smtp.received()[4:]}
    assert cast.requester.email not in latest and cast.watcher.email in latest
    assert Notification.objects.filter(recipient=cast.requester, in_app=True).count() == 2


def test_an_unsubscribe_link_expires(cast):
    from apps.notifications import unsubscribe

    token = unsubscribe.make_token(cast.requester.pk, ["assigned"])
    later = timezone.now() + unsubscribe.LINK_LIFETIME + timedelta(days=1)
    with mock.patch("django.core.signing.time") as clock:  # only the signer's clock moves on
        clock.time.return_value = later.timestamp()
        response = Client().post(f"/api/v1/notifications/unsubscribe/{token}")
    assert response.status_code == 410 and response.json()["code"] == "link_expired"


def test_the_same_job_twice_sends_one_email(cast, smtp):
    comment(cast, "Once")
    email_ids = list(OutgoingEmail.objects.values_list("pk", flat=True))
    send_emails.enqueue(email_ids=email_ids)  # a duplicate of the job the delivery enqueued
    drain_queue(WORKER | smtp.env())
    assert len(smtp.received()) == 4
    results = DBTaskResult.objects.filter(task_path=send_emails.module_path, status=TaskResultStatus.SUCCESSFUL)
    assert sorted(len(r.return_value.get("sent", [])) for r in results) == [0, 4]


def test_smtp_down_is_retried_later_then_delivered_and_nothing_is_lost(cast):
    server = SmtpServer()  # its port, with nothing listening yet
    comment(cast, "During the outage")
    env = WORKER | server.env() | {"JOB_RETRY_BASE_SECONDS": "60"}
    drain_queue(env)

    assert set(OutgoingEmail.objects.values_list("state", flat=True)) == {OutgoingEmail.State.PENDING}
    assert all("ConnectionRefusedError" in e for e in OutgoingEmail.objects.values_list("last_error", flat=True))
    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.PENDING}
    retry = DBTaskResult.objects.get(task_path=send_emails.module_path, status=TaskResultStatus.READY)
    assert retry.run_after > timezone.now() + timedelta(seconds=30)
    drain_queue(env)  # not due yet: nothing happens
    assert DBTaskResult.objects.filter(pk=retry.pk, status=TaskResultStatus.READY).exists()

    with server:
        DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())  # the backoff passed
        drain_queue(env)
        assert len(server.received()) == 4
    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.SENT}
    assert set(OutgoingEmail.objects.values_list("attempts", flat=True)) == {2}


def test_an_email_that_fails_for_good_stays_and_can_be_resent_from_the_admin(cast, admin_user):
    server = SmtpServer()
    comment(cast, "Outage", author=cast.requester)
    env = WORKER | server.env() | {"JOB_MAX_ATTEMPTS": "1"}
    output = drain_queue(env)
    assert "failed for good after 1 attempt(s)" in output
    assert set(OutgoingEmail.objects.values_list("state", flat=True)) == {OutgoingEmail.State.FAILED}
    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.FAILED}
    assert DBTaskResult.objects.filter(task_path=send_emails.module_path, status=TaskResultStatus.FAILED).count() == 1

    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    assert client.get("/admin/notifications/outgoingemail/?state__exact=failed").status_code == 200
    ids = [str(pk) for pk in OutgoingEmail.objects.values_list("pk", flat=True)]
    response = client.post("/admin/notifications/outgoingemail/", {"action": "resend", "_selected_action": ids})
    assert response.status_code == 302
    with server:
        drain_queue(env)
        assert len(server.received()) == 3
    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.SENT}


def test_notifications_within_the_window_go_out_as_one_email(cast, smtp, settings):
    settings.EMAIL_COALESCE_SECONDS = 120
    comment(cast, "One")
    comment(cast, "Two")
    from apps.tickets import services as tickets

    tickets.ticket_transition(actor=cast.actor, ticket_id=cast.ticket.pk, status="in_progress")
    emails = OutgoingEmail.objects.filter(recipient=cast.requester)
    assert emails.count() == 1
    email = emails.get()
    assert email.notifications.count() == 3
    assert timedelta(seconds=115) < email.send_after - email.created_at <= timedelta(seconds=121)
    jobs = DBTaskResult.objects.filter(task_path=send_emails.module_path)
    [job] = [j for j in jobs if email.pk in j.args_kwargs["kwargs"]["email_ids"]]
    assert abs((job.run_after - email.send_after).total_seconds()) < 1

    drain_queue(WORKER | smtp.env())
    assert smtp.received() == []  # the window is still open
    DBTaskResult.objects.filter(task_path=send_emails.module_path).update(run_after=timezone.now())
    drain_queue(WORKER | smtp.env())
    mine = [m for m in smtp.received() if m.rcpt_tos == [cast.requester.email]]
    assert len(mine) == 1
    text = mine[0].part("text/plain")
    assert "> One" in text and "> Two" in text and "moved" in text and "to in progress" in text
    assert len(smtp.received()) == 4  # one per follower

    # Once sent, the window is closed: the next notification opens a new email.
    comment(cast, "Three")
    assert OutgoingEmail.objects.filter(recipient=cast.requester).count() == 2


def test_email_follows_the_settings_at_sending_time(cast, smtp, settings):
    settings.EMAIL_COALESCE_SECONDS = 120
    comment(cast, "Hello")
    from apps.notifications.services import notification_settings_update, notifications_mark_read

    notification_settings_update(user=cast.requester, changes={"comment_added": {"email": False}})
    notifications_mark_read(user=cast.watcher, everything=True)
    DBTaskResult.objects.filter(task_path=send_emails.module_path).update(run_after=timezone.now())
    drain_queue(WORKER | smtp.env())
    assert {m.rcpt_tos[0] for m in smtp.received()} == {cast.staff_watcher.email, cast.assignee.email}
    skipped = Notification.objects.filter(recipient__in=[cast.requester, cast.watcher])
    assert set(skipped.values_list("email_state", flat=True)) == {EmailState.SKIPPED}


def test_email_off_for_a_kind_means_no_email_at_all(cast):
    from apps.notifications.services import notification_settings_update

    notification_settings_update(user=cast.requester, changes={"comment_added": {"email": False}})
    comment(cast, "Hello")
    mine = Notification.objects.get(recipient=cast.requester)
    assert mine.in_app and mine.email_state == EmailState.NONE and mine.email is None


def test_without_email_host_mail_is_written_as_eml_files(cast, tmp_path):
    import email
    import email.policy

    comment(cast, "Saved to disk")
    drain_queue(WORKER | {"EMAIL_HOST": "", "DATA_DIR": str(tmp_path)})
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 4
    parsed = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert {m["To"] for m in parsed} == {
        u.email for u in (cast.requester, cast.watcher, cast.staff_watcher, cast.assignee)
    }
    assert all(m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in parsed)


@requires_postgres
def test_two_workers_never_send_one_notification_twice(cast, smtp):
    from apps.tickets.tests.factories import make_ticket

    for n in range(15):
        ticket = make_ticket(cast.requester, team=cast.team, assignee=cast.assignee, title=f"Laptop {n}")
        comment(cast, f"Update {n}", ticket_id=ticket.pk)
    emails = list(OutgoingEmail.objects.values_list("pk", flat=True))
    assert len(emails) == 30
    for email_id in emails:  # every email also in a job of its own: contention on purpose
        send_emails.enqueue(email_ids=[email_id])
    with running_worker(WORKER | smtp.env(), interval=0.01), running_worker(WORKER | smtp.env(), interval=0.01):
        smtp.wait_for(30)
        wait_until(
            lambda: not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists(), message="jobs done"
        )
    received = smtp.received()
    assert len(received) == 30
    sent_ids = [int(re.search(r"\.hd\.e(\d+)@", m.header("Message-ID")).group(1)) for m in received]
    assert sorted(sent_ids) == sorted(emails), "each email once"
    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.SENT}
    workers = {w for r in DBTaskResult.objects.filter(task_path=send_emails.module_path) for w in r.worker_ids}
    assert len(workers) == 2, "both workers took jobs"
