"""Sending one OutgoingEmail: claim it, re-check who may still get what, compose, send, record.

An email is claimed with a conditional update (pending → sending), so it is sent at most once
however many workers run its job; an SMTP failure puts it back to pending and raises
TransientError, so the job retries it later (apps.core.jobs). A worker that dies between the SMTP
server's acceptance and the record leaves it in `sending`, visible in the admin, rather than
risking a second copy.
"""

import smtplib
from datetime import UTC
from email.utils import make_msgid, parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from apps.core.jobs import TransientError
from apps.notifications.kinds import EMAIL_TOPIC, Kind
from apps.notifications.models import EmailState, Notification, OutgoingEmail
from apps.notifications.rules import may_see
from apps.notifications.selectors import preferences
from apps.notifications.unsubscribe import api_url, make_token, page_url

# Failures worth retrying: the server refused for now, or could not be reached.
TRANSIENT = (smtplib.SMTPException, OSError)


def send_email(email_id: int) -> str:
    """ "sent", "skipped" (nothing left to tell), or "not_pending" (sent or claimed elsewhere).
    Raises TransientError when the SMTP server can't take it now (the email is pending again)."""
    claimed = OutgoingEmail.objects.filter(pk=email_id, state=OutgoingEmail.State.PENDING).update(
        state=OutgoingEmail.State.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return "not_pending"
    email = OutgoingEmail.objects.select_related("recipient", "ticket").get(pk=email_id)
    notifications = list(email.notifications.select_related("actor").order_by("id"))
    wanted = _still_wanted(email, notifications)
    if not wanted:
        _finish(email, notifications, [], state=OutgoingEmail.State.SKIPPED)
        return "skipped"
    message = compose(email, wanted)
    try:
        get_connection(fail_silently=False).send_messages([message])
    except TRANSIENT as exc:
        OutgoingEmail.objects.filter(pk=email.pk).update(
            state=OutgoingEmail.State.PENDING, last_error=f"{type(exc).__name__}: {exc}"[:1000]
        )
        raise TransientError(f"email {email.pk}: {type(exc).__name__}: {exc}") from exc
    email.message_id = message.extra_headers["Message-ID"]
    email.subject = message.subject
    _finish(email, notifications, wanted, state=OutgoingEmail.State.SENT)
    return "sent"


def emails_failed(email_ids: list[int]) -> None:
    """Retries are exhausted: these emails (if still unsent) and their notifications say `failed`.
    The notifications stay; an admin can resend (admin action) once the server is back."""
    with transaction.atomic():
        failed = OutgoingEmail.objects.filter(
            pk__in=email_ids, state__in=[OutgoingEmail.State.PENDING, OutgoingEmail.State.SENDING]
        )
        ids = list(failed.values_list("pk", flat=True))
        failed.update(state=OutgoingEmail.State.FAILED)
        Notification.objects.filter(email_id__in=ids, email_state=EmailState.PENDING).update(
            email_state=EmailState.FAILED
        )


def _still_wanted(email: OutgoingEmail, notifications: list[Notification]) -> list[Notification]:
    """What may still go: the person is active with an address, wants email of the kind (they may
    have turned it off since), hasn't read it in the app meanwhile, and may still see it."""
    recipient = email.recipient
    if not recipient.is_active or not recipient.email:
        return []
    prefs = preferences({recipient.pk}, {n.kind for n in notifications})
    candidates = [n for n in notifications if n.read_at is None and prefs[(recipient.pk, n.kind)]["email"]]
    if email.ticket is None:
        return candidates
    sees = bool(may_see({recipient.pk}, email.ticket, staff_only=False))
    sees_internal = sees and bool(may_see({recipient.pk}, email.ticket, staff_only=True))
    return [n for n in candidates if (sees_internal if n.staff_only else sees)]


def _finish(email: OutgoingEmail, notifications: list[Notification], sent: list[Notification], *, state) -> None:
    with transaction.atomic():
        email.state = state
        email.sent_at = timezone.now() if state == OutgoingEmail.State.SENT else None
        email.save(update_fields=["state", "sent_at", "message_id", "subject"])
        sent_ids = [n.pk for n in sent]
        Notification.objects.filter(pk__in=sent_ids).update(email_state=EmailState.SENT)
        Notification.objects.filter(pk__in=[n.pk for n in notifications if n.pk not in sent_ids]).update(
            email_state=EmailState.SKIPPED
        )


# --- composition ------------------------------------------------------------------------------


def compose(email: OutgoingEmail, notifications: list[Notification]) -> EmailMultiAlternatives:
    """Plain text and HTML from templates/notifications/email.{txt,html}; threaded per ticket
    (every email about a ticket references one root id, and the previous email of the thread);
    one-click unsubscribe for the kinds it contains (List-Unsubscribe + List-Unsubscribe-Post)."""
    recipient, ticket = email.recipient, email.ticket
    kinds = sorted({n.kind for n in notifications}, key=Kind.values.index)
    header_token = make_token(recipient.pk, kinds)
    context = {
        "recipient": recipient,
        "ticket": ticket,
        "ticket_url": f"{settings.SITE_URL}/tickets/{ticket.pk}" if ticket else settings.SITE_URL,
        "items": [_item(n) for n in notifications],
        "unsubscribe": [
            {"topic": EMAIL_TOPIC[Kind(kind)], "url": page_url(make_token(recipient.pk, [kind]))} for kind in kinds
        ],
        "settings_url": f"{settings.SITE_URL}/profile",
        "site_url": settings.SITE_URL,
    }
    subject = f"[{ticket.key}] {ticket.title}" if ticket else notifications[0].message
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split())[:200],
        body=render_to_string("notifications/email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers=_headers(email, header_token),
    )
    message.attach_alternative(render_to_string("notifications/email.html", context), "text/html")
    return message


def _item(notification: Notification) -> dict:
    detail = notification.detail.strip()
    return {
        "message": notification.message,
        "at": f"{notification.created_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
        "detail": detail,
        "quoted": "\n".join(f"> {line}".rstrip() for line in detail.splitlines()),
    }


def _headers(email: OutgoingEmail, unsubscribe_token: str) -> dict[str, str]:
    domain = mail_domain()
    headers = {
        "Message-ID": make_msgid(idstring=f"hd.e{email.pk}", domain=domain),
        "List-Id": f"Helpdesk notifications <notifications.{domain}>",
        "List-Unsubscribe": f"<{api_url(unsubscribe_token)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        # An automatic message (RFC 3834): out-of-office replies must not answer it.
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
    }
    if email.ticket_id:
        root = thread_root(email.ticket_id)
        previous = (
            OutgoingEmail.objects.filter(
                recipient_id=email.recipient_id, ticket_id=email.ticket_id, state=OutgoingEmail.State.SENT
            )
            .exclude(message_id="")
            .order_by("-sent_at", "-id")
            .values_list("message_id", flat=True)
            .first()
        )
        headers["In-Reply-To"] = previous or root
        headers["References"] = f"{root} {previous}" if previous else root
    return headers


def thread_root(ticket_id: int) -> str:
    """The id every email about a ticket refers to, so mail clients group them in one thread."""
    return f"<ticket-{ticket_id}@{mail_domain()}>"


def mail_domain() -> str:
    """The domain of DEFAULT_FROM_EMAIL (else SITE_URL's host), for Message-IDs."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    if "@" in address:
        return address.rsplit("@", 1)[1]
    return urlsplit(settings.SITE_URL).hostname or "localhost"
