"""Every write to notifications: deliver what the rules planned, mark read, change settings."""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.core.errors import Conflict, ValidationFailed
from apps.core.events import broadcast_each_on_commit, broadcast_on_commit
from apps.notifications.kinds import Kind
from apps.notifications.models import EmailState, Notification, NotificationSetting, OutgoingEmail, UsedUnsubscribeLink
from apps.notifications.rules import Planned
from apps.notifications.selectors import notification_item, preferences, settings_of, unread_count
from apps.notifications.unsubscribe import UnsubscribeLink, read_link
from apps.tickets.models import Ticket

NOTIFICATION_CREATED = "notification.created"
NOTIFICATION_READ = "notification.read"


@transaction.atomic
def notifications_deliver(planned: list[Planned]) -> list[Notification]:
    """Creates the planned notifications by each recipient's settings for the kind: shown in the
    notification centre (and pushed live as `notification.created` on `user:<id>`) when `in_app`,
    joined to an outgoing email when `email` (and the person has an address). A recipient hears
    about an event key once, however often this runs. Returns the notifications created.

    Queries: a fixed number per call, whatever the number of recipients (bulk reads and inserts).
    """
    if not planned:
        return []
    already = set(
        Notification.objects.filter(
            recipient_id__in={p.recipient_id for p in planned}, event_key__in={p.event_key for p in planned}
        ).values_list("recipient_id", "event_key")
    )
    planned = [p for p in planned if (p.recipient_id, p.event_key) not in already]
    prefs = preferences({p.recipient_id for p in planned}, {p.kind for p in planned})
    addresses = dict(
        User.objects.filter(pk__in={p.recipient_id for p in planned}).exclude(email="").values_list("pk", "email")
    )
    rows, by_ticket = [], defaultdict(set)
    for p in planned:
        wants = prefs[(p.recipient_id, p.kind)]
        emailed = wants["email"] and p.recipient_id in addresses
        if not (wants["in_app"] or emailed):
            continue
        rows.append((p, wants["in_app"], emailed))
        if emailed:
            by_ticket[p.ticket_id].add(p.recipient_id)
    emails = {}
    for ticket_id, recipients in by_ticket.items():
        emails.update({(ticket_id, r): email for r, email in _open_emails(recipients, ticket_id).items()})
    notifications = [
        Notification(
            recipient_id=p.recipient_id,
            kind=p.kind,
            ticket_id=p.ticket_id,
            actor_id=p.actor_id,
            message=p.message,
            detail=p.detail,
            event_key=p.event_key,
            staff_only=p.staff_only,
            in_app=in_app,
            email_state=EmailState.PENDING if emailed else EmailState.NONE,
            email=emails.get((p.ticket_id, p.recipient_id)) if emailed else None,
        )
        for p, in_app, emailed in rows
    ]
    # A recipient hears of an event key once: the check above, and the unique constraint as the
    # backstop (a concurrent second delivery of the same event fails whole, logged by the caller).
    created = Notification.objects.bulk_create(notifications)
    _announce_created([n for n in created if n.in_app])
    return created


def _open_emails(recipient_ids: set[int], ticket_id: int | None) -> dict[int, OutgoingEmail]:
    """The pending email per recipient on this ticket (the open coalescing window), creating those
    that are missing and scheduling their send job at the window's end.

    Pending emails are locked: a send job claiming one at the same moment waits for this
    transaction, then sends it with the notification just added; one it already claimed is no
    longer pending, so the notification starts a new email.
    """
    from apps.notifications.tasks import send_emails

    for _ in range(2):
        found = {
            email.recipient_id: email
            for email in OutgoingEmail.objects.select_for_update().filter(
                state=OutgoingEmail.State.PENDING, ticket_id=ticket_id, recipient_id__in=recipient_ids
            )
        }
        missing = sorted(recipient_ids - set(found))
        if not missing:
            return found
        send_after = timezone.now() + timedelta(seconds=settings.EMAIL_COALESCE_SECONDS)
        try:
            with transaction.atomic():
                new = OutgoingEmail.objects.bulk_create(
                    [OutgoingEmail(recipient_id=r, ticket_id=ticket_id, send_after=send_after) for r in missing]
                )
        except IntegrityError:
            continue  # a concurrent delivery opened one of them first: join it
        send_emails.using(run_after=send_after).enqueue(email_ids=[email.pk for email in new])
        return found | {email.recipient_id: email for email in new}
    raise RuntimeError("could not open coalescing emails")


def _announce_created(notifications: list[Notification]) -> None:
    if not notifications:
        return
    tickets = Ticket.objects.in_bulk({n.ticket_id for n in notifications if n.ticket_id})
    actors = User.objects.in_bulk({n.actor_id for n in notifications if n.actor_id})
    for notification in notifications:
        notification.ticket = tickets.get(notification.ticket_id)
        notification.actor = actors.get(notification.actor_id)
    broadcast_each_on_commit(
        NOTIFICATION_CREATED, [(f"user:{n.recipient_id}", notification_item(n)) for n in notifications]
    )


@transaction.atomic
def notifications_mark_read(*, user: User, ids: list[int] | None = None, everything: bool = False) -> int:
    """Marks the user's notifications read: those in `ids` (ids of other people's notifications are
    ignored, as if missing) or all. Returns the new unread count; other tabs hear `notification.read`."""
    unread = Notification.objects.filter(recipient=user, in_app=True, read_at__isnull=True)
    if not everything:
        unread = unread.filter(pk__in=ids or [])
    marked = list(unread.values_list("pk", flat=True))
    if marked:
        Notification.objects.filter(pk__in=marked).update(read_at=timezone.now())
    count = unread_count(user)
    if marked:
        broadcast_on_commit(NOTIFICATION_READ, {"ids": marked, "unread_count": count}, topics=[f"user:{user.pk}"])
    return count


@transaction.atomic
def notification_settings_update(*, user: User, changes: dict[str, dict[str, bool]]) -> dict[str, dict[str, bool]]:
    """Changes some kinds' channels (`{kind: {"in_app"?, "email"?}}`); returns every kind's settings."""
    unknown = sorted(set(changes) - set(Kind.values))
    if unknown:
        raise ValidationFailed(dict.fromkeys(unknown, "Unknown notification kind."))
    current = preferences({user.pk}, set(Kind.values))
    for kind, change in changes.items():
        merged = {**current[(user.pk, kind)], **{k: v for k, v in change.items() if v is not None}}
        NotificationSetting.objects.update_or_create(user=user, kind=kind, defaults=merged)
    return settings_of(user)


@transaction.atomic
def email_unsubscribe(*, token: str) -> UnsubscribeLink:
    """Turns email off for the link's kinds, for the link's person only. Once: a used link is a 409
    (`link_used`) and changes nothing. In-app notifications of those kinds stay as they were."""
    link = read_link(token)
    try:
        with transaction.atomic():
            UsedUnsubscribeLink.objects.create(nonce=link.nonce, user=link.user, kinds=list(link.kinds))
    except IntegrityError:
        raise Conflict("This unsubscribe link was already used.", code="link_used") from None
    notification_settings_update(user=link.user, changes={kind: {"email": False} for kind in link.kinds})
    return UnsubscribeLink(user=link.user, kinds=link.kinds, nonce=link.nonce, used=True)


@transaction.atomic
def emails_resend(*, email_ids: list[int]) -> int:
    """Sends failed emails again (after an SMTP outage outlasted the retries), and emails stuck in
    `sending` (a worker died mid-send: this may deliver a second copy, which is why it is a
    person's decision in the admin). Their notifications are pending again. Returns how many."""
    from apps.notifications.tasks import send_emails

    resend = list(
        OutgoingEmail.objects.select_for_update().filter(
            pk__in=email_ids, state__in=[OutgoingEmail.State.FAILED, OutgoingEmail.State.SENDING]
        )
    )
    queued = []
    for email in resend:
        open_email = OutgoingEmail.objects.filter(
            recipient_id=email.recipient_id, ticket_id=email.ticket_id, state=OutgoingEmail.State.PENDING
        ).first()
        target = open_email or email
        Notification.objects.filter(email=email, email_state__in=[EmailState.FAILED, EmailState.PENDING]).update(
            email=target, email_state=EmailState.PENDING
        )
        if open_email:
            # The person already has an email about this ticket waiting: these notifications join it.
            email.state, email.last_error = OutgoingEmail.State.SKIPPED, f"merged into email {open_email.pk}"
            email.save(update_fields=["state", "last_error"])
            continue
        email.state, email.send_after = OutgoingEmail.State.PENDING, timezone.now()
        email.save(update_fields=["state", "send_after"])
        queued.append(email.pk)
    if queued:
        send_emails.enqueue(email_ids=queued)
    return len(resend)
