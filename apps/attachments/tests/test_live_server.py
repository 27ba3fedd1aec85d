"""The upload protocol end to end against the real ASGI app (uvicorn) configured from the environment:
local storage (the app receives and serves the bytes) and S3 (moto over HTTP)."""

import tempfile

import httpx
import pytest

from apps.attachments.tests.files import PNG
from apps.core.testing.servers import manage, running_server


def sign_in(client: httpx.Client, email: str) -> None:
    token = client.post("/api/v1/auth/dev/token", json={"email": email}).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"


def send(upload: dict, data: bytes) -> httpx.Response:
    """What the SPA does (frontend/src/lib/upload.ts), without the app's Bearer token."""
    if upload["method"] == "POST":
        return httpx.post(upload["url"], data=upload["fields"], files={"file": ("s.png", data, "image/png")})
    headers = {k: v for k, v in upload["headers"].items() if k.lower() != "content-length"}
    return httpx.put(upload["url"], content=data, headers=headers)


@pytest.fixture(params=["local", "s3"])
def server(request):
    env = {"DEBUG": "1", "AUTH_DEV_LOGIN": "1", "DATABASE_URL": "", "DATA_DIR": tempfile.mkdtemp(prefix="hd-att-")}
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        import boto3

        s3 = boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
        )
        if "live-server" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
            s3.create_bucket(Bucket="live-server")
        env.update(
            {
                "ATTACHMENTS_STORAGE": "s3",
                "R2_BUCKET_NAME": "live-server",
                "S3_ENDPOINT_URL": endpoint,
                "R2_ACCESS_KEY_ID": "test",
                "R2_SECRET_ACCESS_KEY": "test",
                "S3_UPLOAD_METHOD": "post",
            }
        )
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    with running_server(env) as base_url:
        yield request.param, base_url


def test_upload_complete_download_through_the_running_app(server):
    storage, base_url = server
    with httpx.Client(base_url=base_url, timeout=20) as client:
        health = client.get("/api/v1/health").json()
        assert health["checks"]["storage"] == {**health["checks"]["storage"], "ok": True, "backend": storage}

        sign_in(client, "requester@example.com")
        ticket = client.post("/api/v1/tickets", json={"title": "Screenshot of the error"}).json()
        started = client.post(
            f"/api/v1/tickets/{ticket['id']}/attachments",
            json={"filename": "error.png", "content_type": "image/png", "size": len(PNG)},
        )
        assert started.status_code == 201, started.text
        upload = started.json()["upload"]
        assert upload["method"] == ("PUT" if storage == "local" else "POST")
        if storage == "local":
            assert upload["url"].startswith(f"{base_url}/api/v1/attachments/")

        stored = send(upload, PNG)
        assert stored.status_code in (200, 204), stored.text
        attachment_id = started.json()["attachment"]["id"]
        completed = client.post(f"/api/v1/attachments/{attachment_id}/complete")
        assert completed.status_code == 200, completed.text

        redirect = client.get(f"/api/v1/attachments/{attachment_id}/download")
        assert redirect.status_code == 302
        downloaded = httpx.get(redirect.headers["location"])
        assert downloaded.status_code == 200
        assert downloaded.content == PNG
        assert downloaded.headers["content-disposition"] == 'attachment; filename="error.png"'

        # The demo conversation's file is there too, for the agent.
        sign_in(client, "agent@example.com")
        tickets = client.get("/api/v1/tickets", params={"q": "Laptop won't start"}).json()["items"]
        files = client.get(f"/api/v1/tickets/{tickets[0]['id']}/attachments").json()
        assert [f["filename"] for f in files] == ["boot-screen-notes.txt"]
        demo = httpx.get(client.get(f"/api/v1/attachments/{files[0]['id']}/download").headers["location"])
        assert demo.content.startswith(b"Boot attempt 1")
