import json
from typing import Any

from django.test import Client

from apps.accounts.models import User
from apps.core.testing.plugin import fake_clerk


def bearer_for(user: User, **claims: Any) -> str:
    return fake_clerk.token(user.clerk_id, email=user.email, name=user.name, **claims)


class ApiClient:
    """Django's test client speaking JSON to /api/v1 as a given user (Clerk token), or anonymously."""

    def __init__(self, user: User | None = None, token: str | None = None):
        self._client = Client()
        self.user = user
        self.token = token or (bearer_for(user) if user else None)

    def request(self, method: str, path: str, data: Any = None, **extra: Any):
        url = path if path.startswith("/") else f"/api/v1/{path}"
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra)
        body = json.dumps(data) if data is not None and method not in {"get", "delete"} else None
        call = getattr(self._client, method)
        if method == "get":
            return call(url, data or {}, **headers)
        return call(url, body, content_type="application/json", **headers)

    def get(self, path: str, params: Any = None, **extra: Any):
        return self.request("get", path, params, **extra)

    def post(self, path: str, data: Any = None, **extra: Any):
        return self.request("post", path, data if data is not None else {}, **extra)

    def patch(self, path: str, data: Any = None, **extra: Any):
        return self.request("patch", path, data if data is not None else {}, **extra)

    def put(self, path: str, data: Any = None, **extra: Any):
        return self.request("put", path, data if data is not None else {}, **extra)

    def delete(self, path: str, **extra: Any):
        return self.request("delete", path, None, **extra)
