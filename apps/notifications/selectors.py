"""Reads of notifications: the notification centre's page, the unread count, settings."""

from django.db.models import Prefetch

from apps.accounts.models import User
from apps.core.pagination import Keyset, keyset_page
from apps.notifications.kinds import DEFAULTS, Kind
from apps.notifications.models import Notification, NotificationSetting
from apps.tickets.models import Ticket


def notification_page(
    *, user: User, unread: bool, cursor: str | None, limit: int
) -> tuple[list[Notification], str | None]:
    """The user's in-app notifications, newest first: (`limit` items, next cursor or None).

    Keyset pagination on the id (ids grow with time); three queries whatever the page size: the
    page with its actors, and the tickets (only id, number and title).
    """
    rows = Notification.objects.filter(recipient=user, in_app=True)
    if unread:
        rows = rows.filter(read_at__isnull=True)
    rows = rows.select_related("actor").prefetch_related(
        Prefetch("ticket", queryset=Ticket.objects.only("id", "number", "title"))
    )
    # The unread filter changes which rows a page holds, so its cursors are a list of their own.
    scope = "notifications:unread" if unread else "notifications"
    return keyset_page(rows, NEWEST_FIRST, scope=scope, cursor=cursor, limit=limit)


NEWEST_FIRST = Keyset(fields=("id",), descending=True)


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, in_app=True, read_at__isnull=True).count()


def notification_item(notification: Notification) -> dict:
    """The JSON of one notification, as the list and the live `notification.created` carry it."""
    from apps.notifications.schemas import NotificationOut

    return NotificationOut.model_validate(notification).model_dump(mode="json")


def preferences(user_ids: set[int], kinds: set[str]) -> dict[tuple[int, str], dict[str, bool]]:
    """{(user id, kind): {"in_app", "email"}} for every pair asked, defaults filled in. One query."""
    prefs = {(user_id, kind): dict(DEFAULTS[kind]) for user_id in user_ids for kind in kinds}
    if user_ids and kinds:
        rows = NotificationSetting.objects.filter(user_id__in=user_ids, kind__in=kinds)
        for row in rows.values("user_id", "kind", "in_app", "email"):
            prefs[(row["user_id"], row["kind"])] = {"in_app": row["in_app"], "email": row["email"]}
    return prefs


def settings_of(user: User) -> dict[str, dict[str, bool]]:
    """Every kind's channels for the user: `{kind: {"in_app", "email"}}`."""
    prefs = preferences({user.pk}, set(Kind.values))
    return {kind: prefs[(user.pk, kind)] for kind in Kind.values}
