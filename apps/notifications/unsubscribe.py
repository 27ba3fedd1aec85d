"""One-click unsubscribe links (RFC 8058): signed, for one person and the kinds they name, usable once.

A token is `django.core.signing.dumps({"u": user id, "k": [kinds], "n": nonce})` with its own salt
and a timestamp: it can't be forged or altered without SECRET_KEY, names exactly whose email and
which kinds it turns off, and expires after LINK_LIFETIME. Using it records the nonce, so a second
use is refused (409) and nothing else changes (services.email_unsubscribe).
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing

from apps.accounts.models import User
from apps.core.errors import DomainError, NotFound
from apps.notifications.kinds import EMAIL_TOPIC, Kind
from apps.notifications.models import UsedUnsubscribeLink

SALT = "apps.notifications.unsubscribe"
# Long enough for an email read weeks later; not forever, as the link needs no sign-in.
LINK_LIFETIME = timedelta(days=90)


class LinkExpired(DomainError):
    status = 410
    code = "link_expired"
    message = "This unsubscribe link has expired. Change your email settings on your profile page."


@dataclass(frozen=True)
class UnsubscribeLink:
    user: User
    kinds: tuple[str, ...]
    nonce: str
    used: bool

    def describe(self) -> dict:
        """The API's view of the link (schemas.UnsubscribeOut)."""
        return {
            "kinds": list(self.kinds),
            "topics": [EMAIL_TOPIC[Kind(kind)] for kind in self.kinds],
            "email": _masked(self.user.email),
            "used": self.used,
        }


def make_token(user_id: int, kinds) -> str:
    return signing.dumps({"u": user_id, "k": sorted(set(kinds)), "n": secrets.token_hex(8)}, salt=SALT, compress=True)


def api_url(token: str) -> str:
    """The List-Unsubscribe URL: POST there unsubscribes at once (RFC 8058)."""
    return f"{settings.SITE_URL}/api/v1/notifications/unsubscribe/{token}"


def page_url(token: str) -> str:
    """The link in the email's text: the web app's page that asks the person to confirm."""
    return f"{settings.SITE_URL}/unsubscribe/{token}"


def read_link(token: str) -> UnsubscribeLink:
    """The link a token stands for; NotFound when it was not made here (or altered), LinkExpired."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=LINK_LIFETIME)
    except signing.SignatureExpired:
        raise LinkExpired() from None
    except signing.BadSignature:
        raise NotFound("No such unsubscribe link.") from None
    user = User.objects.filter(pk=payload.get("u"), is_active=True).first()
    kinds = tuple(kind for kind in payload.get("k", []) if kind in Kind.values)
    if user is None or not kinds:
        raise NotFound("No such unsubscribe link.")
    used = UsedUnsubscribeLink.objects.filter(nonce=payload["n"]).exists()
    return UnsubscribeLink(user=user, kinds=kinds, nonce=payload["n"], used=used)


def _masked(address: str) -> str:
    """ "r…@example.com": enough for the person to recognise, little for whoever else holds the link."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}" if domain else "…"
