import jwt
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest
from ninja import Router, Status

from apps.accounts.models import Role, User
from apps.accounts.services import dev_sign_in
from apps.attachments.storage import check_storage
from apps.core import devauth
from apps.core.errors import NotFound
from apps.core.health import check_channel_layer, check_database, run_checks
from apps.core.jobs import queue_health
from apps.core.schemas import DevTokenIn, DevTokenOut, DevUserOut, ErrorOut, HealthOut

router = Router(tags=["system"])


@router.get("/health", auth=None, response={200: HealthOut, 503: HealthOut})
def health(request: HttpRequest):
    """Database, channel layer, attachment storage and the job queue. 503 when one of the first
    three fails (this process can't serve); a stale queue (no worker, or workers behind) makes
    the status "degraded" but stays 200: requests are still served (docs/background-jobs.md)."""
    serving, checks = run_checks(
        {"database": check_database, "channel_layer": check_channel_layer, "storage": check_storage}
    )
    queue_ok, queue = run_checks({"queue": queue_health})
    checks.update(queue)
    status = "ok" if serving and queue_ok else "degraded"
    return Status(200 if serving else 503, {"status": status, "checks": checks})


@router.get("/ping", auth=None, throttle=[], response=dict)
def ping(request: HttpRequest):
    """Liveness: answers without touching the database or other services (use /health for readiness).

    Not throttled: answering costs less than counting (a cache round trip).
    """
    return {"pong": True}


def dev_login_gate(request: HttpRequest) -> bool:
    """The "auth" of the dev sign-in routes: anyone while AUTH_DEV_LOGIN=1, else a 404.

    As an auth callback it runs before the body is parsed, so a disabled route looks exactly like
    one that does not exist (no 422 to probe it with). A plain function adds nothing to the schema.
    """
    if not devauth.enabled():
        raise NotFound("No such endpoint.")
    return True


@router.post(
    "/auth/dev/token", auth=dev_login_gate, response={200: DevTokenOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
def dev_token(request: HttpRequest, payload: DevTokenIn):
    """Dev sign-in (AUTH_DEV_LOGIN=1 only): a token shaped and verified like a Clerk session token.

    An unknown email signs in a new requester, as Clerk's first sight of a user would; an account
    with that email is linked by the same rule (401 `account_conflict` when it can't be).
    """
    user = dev_sign_in(email=payload.email.lower())
    token = devauth.mint_token(sub=user.clerk_id, email=user.email, name=user.display_name)
    return {"access_token": token, "expires_at": jwt.decode(token, options={"verify_signature": False})["exp"]}


@router.get("/auth/dev/jwks.json", auth=dev_login_gate, response={200: dict, 404: ErrorOut})
def dev_jwks(request: HttpRequest):
    """The public keys that sign dev sign-in tokens (AUTH_DEV_LOGIN=1 only)."""
    return devauth.jwks()


@router.get("/auth/dev/users", auth=dev_login_gate, response={200: list[DevUserOut], 404: ErrorOut})
def dev_users(request: HttpRequest):
    """Demo users for the dev sign-in page (AUTH_DEV_LOGIN=1 only)."""
    role_order = Case(
        *(When(role=role, then=Value(i)) for i, role in enumerate([Role.REQUESTER, Role.AGENT, Role.ADMIN])),
        output_field=IntegerField(),
    )
    users = User.objects.filter(is_active=True).exclude(email="").annotate(o=role_order).order_by("o", "email")[:50]
    return [{"email": u.email, "name": u.display_name, "role": u.role} for u in users]
