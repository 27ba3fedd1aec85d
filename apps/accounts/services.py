import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts import authcache
from apps.accounts.models import ApiToken, Role, Team, User
from apps.core.errors import AuthenticationFailed, NotFound, ValidationFailed
from apps.core.events import ACCESS_CHANGED, broadcast_on_commit

logger = logging.getLogger("apps.auth")

TOKEN_PREFIX = "hd_"  # noqa: S105 (a public prefix, not a secret)
# last_used_at is a hint for humans; writing it on every request would turn reads into writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def user_provision_from_session(*, clerk_id: Any, email: Any, name: Any) -> User:
    """The local user of a verified session token (`sub`, and the `email`/`name` custom claims as
    sent: any JSON value or None). Rules: docs/authentication.md ("Accounts").

    - Known `sub`: its user; a changed email/name claim updates it (an email another account
      already has is not taken over: logged and left as it was).
    - First sight of a `sub` whose email matches (case-insensitively) a user without a Clerk id —
      staff provisioned in the admin, a dev sign-in user — links that user (role, teams, tokens
      kept). A match already linked to another `sub` is refused: AuthenticationFailed
      `account_conflict` (401), logged. Otherwise a new requester is created.
    - Claims that don't fit the user columns: `sub` must be 1-64 printable characters and `email`
      at most 254 printable characters, else AuthenticationFailed `invalid_claims` (401) — an
      identifier cut short would name someone else; `name` is display text: non-printable
      characters are dropped and it is cut to the column (200). A non-string `email`/`name` is a
      session-token template error and refused (`invalid_claims`); null or "" means absent.
    """
    clerk_id, email, name = _fit_session_claims(clerk_id=clerk_id, email=email, name=name)
    user = User.objects.filter(clerk_id=clerk_id).first()
    if user is None:
        return _first_sign_in(clerk_id=clerk_id, email=email, name=name)
    _keep_claims_current(user, email=email, name=name)
    return user


CLERK_ID_MAX_LENGTH = User._meta.get_field("clerk_id").max_length
EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length
NAME_MAX_LENGTH = User._meta.get_field("name").max_length


def _refuse_claims(reason: str) -> AuthenticationFailed:
    logger.info("auth rejected: invalid_claims (%s)", reason)
    return AuthenticationFailed("The session token's claims can't be used for an account.", code="invalid_claims")


def _fit_session_claims(*, clerk_id: Any, email: Any, name: Any) -> tuple[str, str | None, str | None]:
    if not isinstance(clerk_id, str) or not clerk_id or len(clerk_id) > CLERK_ID_MAX_LENGTH:
        raise _refuse_claims(f"sub is not a string of 1-{CLERK_ID_MAX_LENGTH} characters")
    if not clerk_id.isprintable():
        raise _refuse_claims("sub has non-printable characters")
    if email is not None and not isinstance(email, str):
        raise _refuse_claims(f"email claim is a {type(email).__name__}, not a string")
    if email and (len(email) > EMAIL_MAX_LENGTH or not email.isprintable()):
        raise _refuse_claims(f"email claim is longer than {EMAIL_MAX_LENGTH} or has non-printable characters")
    if name is not None and not isinstance(name, str):
        raise _refuse_claims(f"name claim is a {type(name).__name__}, not a string")
    # str.isprintable() is False for NUL, other control characters and lone surrogates: none of
    # them can be stored (PostgreSQL) or shown.
    name = "".join(char for char in name or "" if char.isprintable()).strip()[:NAME_MAX_LENGTH]
    return clerk_id, email or None, name or None


def _first_sign_in(*, clerk_id: str, email: str | None, name: str | None) -> User:
    try:
        with transaction.atomic():
            if email:
                # Locked: a concurrent first sign-in with this email waits, then sees the link.
                matches = list(User.objects.select_for_update().filter(email__iexact=email))
                if len(matches) == 1 and matches[0].clerk_id in (None, clerk_id):
                    return _link(matches[0], clerk_id=clerk_id, name=name)
                if matches:
                    raise _account_conflict(clerk_id, email, matches)
            return User.objects.create(
                clerk_id=clerk_id, username=clerk_id, email=email or "", name=name or "", role=Role.REQUESTER
            )
    except IntegrityError:
        # A concurrent first sign-in of this `sub` created (or linked) the user first; or a
        # different `sub` took this email in the meantime.
        user = User.objects.filter(clerk_id=clerk_id).first()
        if user is None:
            raise _account_conflict(clerk_id, email, User.objects.filter(email__iexact=email or "")) from None
        return user


def _link(user: User, *, clerk_id: str, name: str | None) -> User:
    changed = {"clerk_id": clerk_id} if user.clerk_id != clerk_id else {}
    if name and not user.name:
        changed["name"] = name
    if changed:
        User.objects.filter(pk=user.pk).update(**changed)
        for field, value in changed.items():
            setattr(user, field, value)
        logger.info("auth: linked user %s to Clerk user %s by email", user.pk, clerk_id)
    return user


def _account_conflict(clerk_id: str, email: str | None, matches) -> AuthenticationFailed:
    logger.warning(
        "auth rejected: account_conflict (sub=%s; email already belongs to user(s) %s linked to another sign-in)",
        clerk_id,
        sorted(user.pk for user in matches),
    )
    return AuthenticationFailed(
        "An account with this email address is already linked to another sign-in. Ask an administrator.",
        code="account_conflict",
    )


def _keep_claims_current(user: User, *, email: str | None, name: str | None) -> None:
    changed = {}
    if email and user.email != email:
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            logger.warning("auth: email claim of user %s not applied: another account has that email", user.pk)
        else:
            changed["email"] = email
    if name and user.name != name:
        changed["name"] = name
    if changed:
        try:
            with transaction.atomic():
                User.objects.filter(pk=user.pk).update(**changed)
        except IntegrityError:
            # Another account took the email between the check and the update: keep ours.
            logger.warning("auth: claims of user %s not applied: email taken concurrently", user.pk)
            return
        for field, value in changed.items():
            setattr(user, field, value)


def dev_sign_in(*, email: str) -> User:
    """The user a dev sign-in with this email acts as (AUTH_DEV_LOGIN only): the account with that
    email (any letter case) when there is one, else a new requester. Linking and creation follow
    user_provision_from_session, exactly as a first Clerk sign-in with that email would.
    """
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        return user_provision_from_session(clerk_id=dev_subject(email), email=email, name=email.split("@")[0])
    return user_provision_from_session(clerk_id=existing.clerk_id or dev_subject(email), email=email, name=None)


def dev_subject(email: str) -> str:
    """A stable Clerk-like user id for a dev sign-in email (fits the clerk_id column)."""
    return "user_dev_" + hashlib.sha256(email.lower().encode()).hexdigest()[:24]


def _hash_secret(secret: str) -> str:
    # The secret has 256 bits of entropy, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(*, user: User, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    name = name.strip()
    if not name:
        raise ValidationFailed({"name": "Give the token a name."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed({"expires_at": "The expiry must be in the future."})
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, secret_hash=_hash_secret(secret), expires_at=expires_at
    )
    return token, secret


def api_token_revoke(*, user: User, token_id: int) -> None:
    updated = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if not updated and not ApiToken.objects.filter(pk=token_id, user=user).exists():
        raise NotFound("No such token.")
    if updated:
        # A websocket opened with this token re-checks it and closes (apps.live.consumers).
        access_changed(user_ids=[user.pk])


def api_token_expires_at(raw: str) -> datetime | None:
    """When an (already authenticated) token stops working: the websocket closes the socket then."""
    prefix = raw.partition(TOKEN_PREFIX)[2].partition("_")[0]
    return ApiToken.objects.filter(prefix=prefix).values_list("expires_at", flat=True).first()


def is_api_token(raw: str) -> bool:
    return raw.startswith(TOKEN_PREFIX)


def api_token_check(raw: str) -> ApiToken:
    """The personal API token `raw` (its `user` loaded), its use recorded (api_token_touch).

    Raises AuthenticationFailed (401): `invalid_token` (unknown or wrong secret), `token_revoked`,
    `token_expired`, `account_disabled`.
    """
    _, _, rest = raw.partition(TOKEN_PREFIX)
    prefix, sep, _ = rest.partition("_")
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first() if sep else None
    now = timezone.now()
    if token is None or not hmac.compare_digest(token.secret_hash, _hash_secret(raw)):
        raise AuthenticationFailed("The API token is invalid.", code="invalid_token")
    if token.revoked_at is not None:
        raise AuthenticationFailed("The API token was revoked.", code="token_revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise AuthenticationFailed("The API token has expired.", code="token_expired")
    if not token.user.is_active:
        raise AuthenticationFailed("This account is disabled.", code="account_disabled")
    token.last_used_at = api_token_touch(token.pk, token.last_used_at)
    return token


def api_token_touch(token_id: int, last_used: datetime | None) -> datetime | None:
    """Records a use of an (already authenticated) token once per LAST_USED_RESOLUTION; returns
    the last use now recorded."""
    now = timezone.now()
    if last_used is None or now - last_used >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
        return now
    return last_used


@transaction.atomic
def user_ensure(
    *,
    email: str,
    name: str,
    role: str,
    username: str,
    is_staff: bool = False,
    is_superuser: bool = False,
    password: str | None = None,
) -> tuple[User, bool]:
    """The user with this email, created with these fields when missing (and never changed after).

    Idempotent for seeding: a second run finds the user and leaves what people edited since alone.
    `password=None` leaves the account without a usable password (Clerk or dev sign-in only).
    """
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user, False
    user = User(email=email, name=name, role=role, username=username, is_staff=is_staff, is_superuser=is_superuser)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    return user, True


@transaction.atomic
def team_ensure(
    *, name: str, description: str = "", lead: User | None = None, members: Sequence[User] = ()
) -> tuple[Team, bool]:
    """The team with this name, created when missing; the given members are added (none removed)
    and the lead is set only when the team has none."""
    team, created = Team.objects.get_or_create(name=name, defaults={"description": description, "lead": lead})
    if not created and team.lead_id is None and lead is not None:
        team.lead = lead
        team.save(update_fields=["lead"])
    if members:
        team.members.add(*members)
        access_changed(user_ids=[member.pk for member in members])
    return team, created


# --- Access changes ---------------------------------------------------------------------------
# Role, team membership and the active flag decide what a user may see. Open websockets keep an
# in-memory snapshot of them (apps.live.consumers), so every change goes through these functions,
# which tell the user's sockets to reload after the commit. The admin uses them too.


def access_changed(*, user_ids) -> None:
    """Tells open websockets of `user_ids` to reload, and every process's cached authentication
    to forget (apps.accounts.authcache), once the surrounding transaction commits."""
    authcache.forget_everywhere()
    for user_id in sorted(set(user_ids)):
        broadcast_on_commit(ACCESS_CHANGED, {"user_id": user_id}, topics=[f"user:{user_id}"])


@transaction.atomic
def user_access_update(*, user: User, role: str | None = None, is_active: bool | None = None) -> User:
    changed = {}
    if role is not None and role != user.role:
        if role not in Role.values:
            raise ValidationFailed({"role": f"Choose one of {', '.join(Role.values)}."})
        changed["role"] = role
    if is_active is not None and is_active != user.is_active:
        changed["is_active"] = is_active
    if changed:
        User.objects.filter(pk=user.pk).update(**changed)
        for field, value in changed.items():
            setattr(user, field, value)
        access_changed(user_ids=[user.pk])
    return user


@transaction.atomic
def team_members_set(*, team: Team, members: Sequence[User]) -> None:
    before = set(team.members.values_list("pk", flat=True))
    after = {member.pk for member in members}
    team.members.set(after)
    access_changed(user_ids=before ^ after)


@transaction.atomic
def team_member_add(*, team: Team, user: User) -> None:
    team.members.add(user)
    access_changed(user_ids=[user.pk])


@transaction.atomic
def team_member_remove(*, team: Team, user: User) -> None:
    team.members.remove(user)
    access_changed(user_ids=[user.pk])


@transaction.atomic
def team_delete(*, team: Team) -> None:
    member_ids = list(team.members.values_list("pk", flat=True))
    team.delete()
    access_changed(user_ids=member_ids)
