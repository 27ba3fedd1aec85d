"""Dev sign-in routes (AUTH_DEV_LOGIN=1 only; docs/authentication.md): a token for a demo user,
shaped and verified like a Clerk session token, minted by apps.core.devauth."""

import jwt
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest
from ninja import Router

from apps.accounts.models import Role, User
from apps.accounts.services import dev_sign_in
from apps.core import devauth
from apps.core.errors import NotFound
from apps.core.schemas import DevTokenIn, DevTokenOut, DevUserOut, ErrorOut

router = Router(tags=["system"])


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
