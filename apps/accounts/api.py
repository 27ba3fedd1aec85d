from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from apps.accounts import hooks, selectors, services
from apps.accounts.schemas import ApiTokenCreatedOut, ApiTokenIn, ApiTokenOut, MeOut, TeamOut, UserOut
from apps.core.fields import ParamId, ParamInt, Text
from apps.core.schemas import ErrorOut

router = Router(tags=["users"])


class UserSearch(Schema):
    search: Text = Field("", max_length=100)
    limit: ParamInt = Field(20, ge=1, le=100)


@router.get("/users/me", response=MeOut)
def me(request: HttpRequest):
    user = selectors.user_with_teams(request.auth)
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "username": user.username,
        "role": user.role,
        "teams": list(user.teams.all()),
        "is_staff": user.is_staff,
        "permissions": hooks.me_permissions(user),
    }


@router.get("/users", response=list[UserOut])
def users(request: HttpRequest, filters: Query[UserSearch]):
    """Active users matching `search` (email, name or handle), for pickers."""
    return list(selectors.user_search(search=filters.search, limit=filters.limit))


@router.get("/teams", response=list[TeamOut])
def teams(request: HttpRequest):
    return list(selectors.team_list())


@router.get("/users/me/tokens", response=list[ApiTokenOut])
def tokens(request: HttpRequest):
    return list(selectors.api_token_list(user=request.auth))


@router.post("/users/me/tokens", response={201: ApiTokenCreatedOut, 422: ErrorOut})
def token_create(request: HttpRequest, payload: ApiTokenIn):
    token, secret = services.api_token_create(user=request.auth, name=payload.name, expires_at=payload.expires_at)
    return Status(201, {**ApiTokenOut.from_orm(token).model_dump(), "secret": secret})


@router.delete("/users/me/tokens/{token_id}", response={204: None, 404: ErrorOut})
def token_revoke(request: HttpRequest, token_id: ParamId):
    services.api_token_revoke(user=request.auth, token_id=token_id)
    return Status(204, None)
