from ninja import Schema
from pydantic import EmailStr


class ErrorOut(Schema):
    code: str
    message: str
    details: dict


class HealthOut(Schema):
    status: str
    checks: dict[str, dict]


class DevTokenIn(Schema):
    email: EmailStr


class DevTokenOut(Schema):
    access_token: str
    token_type: str = "Bearer"
    expires_at: int


class DevUserOut(Schema):
    email: str
    name: str
    role: str
