from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from pydantic import Field

from apps.core.schemas import ErrorOut
from apps.notifications import selectors, services
from apps.notifications.schemas import (
    MarkReadIn,
    NotificationPage,
    NotificationQuery,
    NotificationSettingsIn,
    NotificationSettingsOut,
    UnreadCountOut,
    UnsubscribeOut,
)
from apps.notifications.unsubscribe import read_link

router = Router(tags=["notifications"])


@router.get("/notifications", response={200: NotificationPage, 422: ErrorOut})
def notification_list(request: HttpRequest, query: Query[NotificationQuery]):
    """My notifications, newest first (`unread=true`: only unread), with the unread count."""
    items, next_cursor = selectors.notification_page(
        user=request.auth, unread=query.unread, cursor=query.cursor, limit=query.limit
    )
    return {"items": items, "next_cursor": next_cursor, "unread_count": selectors.unread_count(request.auth)}


@router.post("/notifications/read", response={200: UnreadCountOut, 422: ErrorOut})
def notification_mark_read(request: HttpRequest, payload: MarkReadIn):
    """Marks `ids` (mine; others are ignored) or `all` read; returns the unread count left."""
    count = services.notifications_mark_read(user=request.auth, ids=payload.ids, everything=payload.all)
    return {"unread_count": count}


@router.get("/users/me/notification-settings", response=NotificationSettingsOut)
def notification_settings(request: HttpRequest):
    """Per kind, whether I get it in the app and by email."""
    return selectors.settings_of(request.auth)


@router.patch("/users/me/notification-settings", response={200: NotificationSettingsOut, 422: ErrorOut})
def notification_settings_update(request: HttpRequest, payload: NotificationSettingsIn):
    """Changes the kinds and channels sent; returns all settings."""
    changes = {kind: change.model_dump() for kind, change in payload if change is not None}
    return services.notification_settings_update(user=request.auth, changes=changes)


class UnsubscribeToken(Schema):
    token: str = Field(max_length=400, pattern=r"^[A-Za-z0-9_\-:]+$")


@router.get(
    "/notifications/unsubscribe/{token}", auth=None, response={200: UnsubscribeOut, 404: ErrorOut, 410: ErrorOut}
)
def unsubscribe_link(request: HttpRequest, path: Path[UnsubscribeToken]):
    """What an email's unsubscribe link would stop (no sign-in; the link is the credential).
    Changes nothing: mail scanners open links."""
    return read_link(path.token).describe()


@router.post(
    "/notifications/unsubscribe/{token}",
    auth=None,
    response={200: UnsubscribeOut, 404: ErrorOut, 409: ErrorOut, 410: ErrorOut},
)
def unsubscribe(request: HttpRequest, path: Path[UnsubscribeToken]):
    """One-click unsubscribe (RFC 8058: the List-Unsubscribe URL, POSTed by mail clients with
    `List-Unsubscribe=One-Click`; the web app's confirmation page POSTs here too). Turns email off
    for the link's kinds and person. Each link works once (409 `link_used`), 410 when expired."""
    return services.email_unsubscribe(token=path.token).describe()
