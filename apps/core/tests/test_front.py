"""The production front, for real: Debian's nginx with deploy/nginx/ (rendered by deploy/nginx/run,
as the `web` image does) in front of uvicorn running the app in production mode (DEBUG=0, static
files collected, `--forwarded-allow-ips` = the proxy), over TLS, on loopback.

The SPA build here is a small stand-in (an index.html and one hashed bundle) so the suite does not
depend on `npm run build`; `make e2e E2E_FRONT=nginx` runs the real SPA and the browser story
through the same front.
"""

import asyncio
import json
import os
import re
import secrets
import socket
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import websockets
from django.conf import settings

from apps.core.testing.front import NGINX_DIR, Front, running_front, self_signed_certificate
from apps.core.testing.live_cluster import Cluster, cluster, scratch_database
from apps.core.testing.servers import free_port, manage

PROXY = "127.0.0.1"  # nginx reaches the app from here: the only address the app trusts
CLIENT = "127.0.0.2"  # the "browser": another loopback address, so the two can be told apart
BUNDLE = "index-4f9a1c2e.js"
SECURITY_HEADERS = [
    "X-Content-Type-Options",
    "Referrer-Policy",
    "X-Frame-Options",
    "Cross-Origin-Opener-Policy",
    "Permissions-Policy",
]
SPEC = {
    "teams": ["Service Desk"],
    "users": [{"key": "rita", "role": "requester"}, {"key": "alan", "role": "agent", "teams": ["Service Desk"]}],
    "tickets": [{"key": "vpn", "requester": "rita", "team": "Service Desk", "title": "VPN down"}],
}


@dataclass(frozen=True)
class Stack:
    front: Front
    live: Cluster
    people: dict
    spa: Path
    app_log: Path

    @property
    def app_url(self) -> str:
        return self.live.urls[0]


def fake_spa_build(root: Path) -> Path:
    """An index.html naming one hashed bundle, like `vite build` writes."""
    (root / "assets").mkdir(parents=True)
    marker = uuid.uuid4().hex
    (root / "index.html").write_text(
        f'<!doctype html><html lang="en"><head><meta name="build" content="{marker}">'
        f'<script type="module" src="/assets/{BUNDLE}"></script></head><body><div id="app"></div></body></html>'
    )
    (root / "assets" / BUNDLE).write_text("export const routes = [];\n" * 2000)
    return root


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("front")
    spa = fake_spa_build(workdir / "spa")
    env = {
        "DJANGO_SETTINGS_MODULE": "apps.core.testing.front_settings",
        "HELPDESK_TEST_SPA_DIR": str(spa),
        "HELPDESK_TEST_STATIC_ROOT": str(workdir / "staticfiles"),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "1",
        "ATTACHMENTS_STORAGE": "local",
    }
    manage({**env, "DATA_DIR": str(workdir)}, "collectstatic", "--noinput", "-v", "0")
    postgres_url = os.environ.get("DATABASE_URL") if settings.IS_POSTGRES else None
    with (
        scratch_database(workdir, postgres_url=postgres_url) as database_url,
        cluster(
            workdir,
            database_url=database_url,
            processes=1,
            env=env,
            uvicorn_args=("--proxy-headers", "--forwarded-allow-ips", PROXY),
            access_log=True,
            # The app redirects plain HTTP; its health probe says what the proxy would.
            health_headers={"X-Forwarded-Proto": "https"},
        ) as live,
    ):
        manage(
            {**live.env, "DJANGO_SUPERUSER_PASSWORD": "front-admin-pass-93"},
            "createsuperuser",
            "--noinput",
            "--username",
            "ops",
            "--email",
            "ops@example.com",
        )
        people = live.seed(SPEC)
        with running_front(live.urls[0], spa_root=spa) as front:
            yield Stack(front=front, live=live, people=people, spa=spa, app_log=workdir / "server-0.log")


def client(stack: Stack, **options) -> httpx.Client:
    """A client of the front (TLS verified against the test certificate), from CLIENT's address."""
    transport = httpx.HTTPTransport(verify=stack.front.ssl_context(), local_address=CLIENT)
    return httpx.Client(base_url=stack.front.url, transport=transport, timeout=30, **options)


def direct(stack: Stack, path: str, **options) -> httpx.Response:
    """The same request straight to the app, as the proxy sends it (from PROXY, over "https")."""
    headers = {"X-Forwarded-Proto": "https", **options.pop("headers", {})}
    return httpx.get(stack.app_url + path, headers=headers, timeout=30, **options)


def token(stack: Stack, key: str) -> dict:
    return {"Authorization": f"Bearer {stack.people['users'][key]['token']}"}


def app_saw(stack: Stack, marker: str) -> list[str]:
    """The client addresses in uvicorn's access-log lines for requests whose path holds `marker`."""
    lines = [line for line in stack.app_log.read_text(errors="replace").splitlines() if marker in line]
    return [re.search(r"(\d+\.\d+\.\d+\.\d+):\d+ - \"", line).group(1) for line in lines]


def test_deep_link_serves_the_spa_shell_through_the_app(stack):
    with client(stack) as http:
        for path in ["/", "/tickets/42", "/tickets/42/approvals?tab=history", "/index.html"]:
            response = http.get(path)
            assert response.status_code == 200, (path, response.text[:200])
            assert response.text == (stack.spa / "index.html").read_text(), path
            assert response.headers["content-type"].startswith("text/html")
            assert response.headers.get_list("cache-control") == ["no-cache"], path
            # From the app (HTTPS as forwarded by nginx), once.
            assert response.headers.get_list("strict-transport-security") == [
                "max-age=31536000; includeSubDomains; preload"
            ]


def test_hashed_assets_are_served_by_nginx_for_a_year_and_gzipped(stack):
    marker = uuid.uuid4().hex
    with client(stack) as http:
        response = http.get(f"/assets/{BUNDLE}?probe={marker}", headers={"Accept-Encoding": "gzip"})
        missing = http.get(f"/assets/index-00000000.js?probe={marker}")
    assert response.status_code == 200
    assert response.headers.get_list("cache-control") == ["public, max-age=31536000, immutable"]
    assert response.headers["content-type"] == "application/javascript"
    assert response.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["vary"]
    assert int(response.num_bytes_downloaded) < len(response.content) / 10
    assert response.content == (stack.spa / "assets" / BUNDLE).read_bytes()
    assert missing.status_code == 404
    assert "cache-control" not in missing.headers
    assert app_saw(stack, marker) == [], "nginx serves /assets/ itself"


def test_security_headers_come_once_each_and_the_apps_win(stack):
    responses = {}
    with client(stack) as http:
        responses["shell"] = ("/tickets/1", http.get("/tickets/1"))
        responses["api"] = ("/api/v1/health", http.get("/api/v1/health"))
        responses["admin"] = ("/admin/login/", http.get("/admin/login/"))
        css = re.search(r'href="(/static/admin/css/base\.[0-9a-f]+\.css)"', responses["admin"][1].text).group(1)
        responses["static"] = (css, http.get(css))
        responses["asset"] = (None, http.get(f"/assets/{BUNDLE}"))
        responses["too_large"] = (None, http.post("/api/v1/auth/dev/token", content=b"x" * (27 * 1024 * 1024)))
    for kind, (path, response) in responses.items():
        assert response.status_code in (200, 413), (kind, response.status_code)
        for name in SECURITY_HEADERS:
            assert len(response.headers.get_list(name)) == 1, (kind, name, response.headers.get_list(name))
        if path is None:
            # nginx's own responses: its fill-ins, and never a Content-Security-Policy of its own.
            assert "content-security-policy" not in response.headers, kind
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            continue
        # The app's responses: every header the app sends arrives once and as the app sent it —
        # the CSP of the shell and the admin included, whichever it is.
        # Asked with the browser's Host, as nginx forwards it: the CSP names that host's sockets.
        own = direct(stack, path, headers={"Host": httpx.URL(stack.front.url).netloc.decode()})
        # The app's Content-Security-Policy (apps/core/csp.py) passes through once, unchanged.
        assert len(response.headers.get_list("Content-Security-Policy")) == 1, (kind, response.headers)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], kind
        for name in [*SECURITY_HEADERS, "Content-Security-Policy", "Strict-Transport-Security"]:
            if name in own.headers:
                assert response.headers.get_list(name) == own.headers.get_list(name), (kind, name)
    assert responses["shell"][1].headers["permissions-policy"].startswith("camera=()")


def test_the_api_works_through_the_front_and_large_json_is_gzipped(stack):
    ticket_id = stack.people["tickets"]["vpn"]
    with client(stack, headers=token(stack, "alan")) as http:
        listed = http.get("/api/v1/tickets")
        moved = http.post(f"/api/v1/tickets/{ticket_id}/transition", json={"status": "open"})
        invalid = http.post(f"/api/v1/tickets/{ticket_id}/transition", json={"status": "nonsense"})
        schema = http.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert listed.status_code == 200, listed.text
    assert ticket_id in [item["id"] for item in listed.json()["items"]]
    assert moved.status_code == 200 and moved.json()["status"] == "open", moved.text
    assert invalid.status_code == 422 and invalid.json()["code"] == "validation_error"
    assert schema.status_code == 200 and schema.headers["content-encoding"] == "gzip"
    assert schema.json()["paths"]


def test_admin_signs_in_over_https_through_the_front(stack):
    with client(stack, headers={"Origin": stack.front.url}) as http:
        page = http.get("/admin/login/")
        assert page.status_code == 200
        cookie = next(c for c in http.cookies.jar if c.name == "csrftoken")
        assert cookie.secure, "DEBUG=0 behind the proxy: the request is HTTPS, so cookies are Secure"
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        signed_in = http.post(
            "/admin/login/?next=/admin/",
            data={"csrfmiddlewaretoken": csrf, "username": "ops", "password": "front-admin-pass-93", "next": "/admin/"},
        )
        assert signed_in.status_code == 302, signed_in.text[:500]
        assert signed_in.headers["location"] == "/admin/"
        index = http.get("/admin/")
        assert index.status_code == 200 and "Site administration" in index.text
        css = re.search(r'href="(/static/admin/css/base\.[0-9a-f]+\.css)"', index.text).group(1)
        stylesheet = http.get(css)
    assert stylesheet.status_code == 200 and stylesheet.headers["content-type"].startswith("text/css")
    assert "immutable" in stylesheet.headers["cache-control"]


async def test_websocket_connects_authenticates_and_receives_an_event_through_the_front(stack):
    ticket_id = stack.people["tickets"]["vpn"]
    ws_url = stack.front.url.replace("https://", "wss://") + "/ws/v1/events"
    context = stack.front.ssl_context()
    async with websockets.connect(ws_url, ssl=context, origin=stack.front.url, open_timeout=15) as socket_:
        await socket_.send(json.dumps({"type": "auth", "token": stack.people["users"]["rita"]["token"]}))
        ready = json.loads(await asyncio.wait_for(socket_.recv(), 15))
        assert ready["type"] == "ready", ready
        await socket_.send(json.dumps({"type": "subscribe", "topic": f"ticket:{ticket_id}"}))
        assert json.loads(await asyncio.wait_for(socket_.recv(), 15))["type"] == "subscribed"
        transport = httpx.AsyncHTTPTransport(verify=context)
        async with httpx.AsyncClient(base_url=stack.front.url, transport=transport, timeout=30) as http:
            comment = await http.post(
                f"/api/v1/tickets/{ticket_id}/comments", json={"body": "Through nginx"}, headers=token(stack, "alan")
            )
        assert comment.status_code == 201, comment.text
        while True:
            frame = json.loads(await asyncio.wait_for(socket_.recv(), 15))
            if frame.get("event") == "comment.created":
                break
        assert frame["data"]["comment"]["id"] == comment.json()["id"]

    # The origin check still sees the browser's Origin and Host: another site's page is refused.
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        await websockets.connect(ws_url, ssl=context, origin="https://evil.example", open_timeout=15)
    assert refused.value.response.status_code == 403


def test_the_app_sees_the_real_client_address_and_never_a_spoofed_one(stack):
    through, spoofed, around = (uuid.uuid4().hex for _ in range(3))
    with client(stack) as http:
        assert http.get(f"/api/v1/health?probe={through}").status_code == 200
        forged = {"X-Forwarded-For": "203.0.113.7", "X-Real-IP": "203.0.113.7", "Forwarded": "for=203.0.113.7"}
        assert http.get(f"/api/v1/health?probe={spoofed}", headers=forged).status_code == 200
    # Straight to the app from an address that is not the proxy: its forwarding headers are ignored.
    transport = httpx.HTTPTransport(local_address=CLIENT)
    with httpx.Client(transport=transport, timeout=30) as http:
        forged_direct = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
        http.get(f"{stack.app_url}/api/v1/health?probe={around}", headers=forged_direct)
    assert app_saw(stack, through) == [CLIENT]
    assert app_saw(stack, spoofed) == [CLIENT]
    assert app_saw(stack, around) == [CLIENT]


def test_upload_of_the_largest_attachment_passes_and_a_larger_body_is_refused_by_nginx(stack):
    ticket_id = stack.people["tickets"]["vpn"]
    size = 25 * 1024 * 1024  # ATTACHMENT_MAX_BYTES's default
    pdf = b"%PDF-1.7\n" + b"\0" * (size - 9)
    with client(stack, headers=token(stack, "rita")) as http:
        intent = http.post(
            f"/api/v1/tickets/{ticket_id}/attachments",
            json={"filename": "big.pdf", "content_type": "application/pdf", "size": size},
        )
        assert intent.status_code == 201, intent.text
        upload = intent.json()["upload"]
        # The app built the link from the Host and scheme nginx forwarded.
        assert upload["url"].startswith(f"{stack.front.url}/api/v1/attachments/")
        stored = http.request(upload["method"], upload["url"], content=pdf, headers=upload.get("headers") or {})
        assert stored.status_code == 204, stored.text
        completed = http.post(f"/api/v1/attachments/{intent.json()['attachment']['id']}/complete")
        assert completed.status_code == 200 and completed.json()["status"] == "available", completed.text

        # The multipart POST form of the same file fits too (it reaches the app, which refuses the link).
        boundary = "helpdesk-boundary"
        form = (
            "".join(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                for name, value in [("key", "attachments/" + "a" * 36), ("Content-Type", "application/pdf")]
            ).encode()
            + f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'.encode()
            + b"Content-Type: application/pdf\r\n\r\n"
            + pdf
            + f"\r\n--{boundary}--\r\n".encode()
        )
        marker = uuid.uuid4().hex
        posted = http.post(
            f"/api/v1/attachments/999999/upload/local?sig=forged-{marker}",
            content=form,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert posted.status_code in (403, 404), posted.text[:300]
        assert posted.json()["code"] != "entity_too_large"

        too_large_marker = uuid.uuid4().hex
        refused = http.put(f"{upload['url']}&probe={too_large_marker}", content=b"x" * (26 * 1024 * 1024 + 1))
    assert refused.status_code == 413
    assert refused.json() == {
        "code": "entity_too_large",
        "message": "The request body is larger than this server accepts.",
        "details": {"max_bytes": 26 * 1024 * 1024},
    }
    assert app_saw(stack, too_large_marker) == [], "nginx refused it before the app"


def test_plain_http_redirects_to_https_and_answers_the_health_check(stack):
    with httpx.Client(timeout=30) as http:
        redirect = http.get(f"{stack.front.http_url}/tickets/7?tab=history")
        health = http.get(f"{stack.front.http_url}/nginx-health")
    assert redirect.status_code == 301
    assert redirect.headers["location"] == "https://127.0.0.1/tickets/7?tab=history"
    assert health.status_code == 200 and health.text == "ok\n"


def test_an_app_that_is_down_gives_the_api_error_shape(stack):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"  # bound, never listening: refused
        with running_front(dead, spa_root=stack.spa) as front:
            response = httpx.get(f"{front.url}/api/v1/tickets", verify=front.ssl_context(), timeout=30)
    assert response.status_code == 502
    assert response.json()["code"] == "upstream_unavailable"
    assert set(response.json()) == {"code", "message", "details"}


def test_the_limits_in_the_configuration_match_the_app():
    template = (NGINX_DIR / "nginx.conf.template").read_text()
    limit = re.search(r"^\s*client_max_body_size (\d+)m;", template, re.M)
    assert limit and int(limit.group(1)) * 1024 * 1024 == settings.ATTACHMENT_MAX_BYTES + 1024 * 1024
    assert f'"max_bytes": {int(limit.group(1)) * 1024 * 1024}' in template
    websocket = re.search(r"location /ws/ \{(.*?)\}", template, re.S).group(1)
    assert "proxy_read_timeout 1h;" in websocket
    assert "Content-Security-Policy" not in re.sub(r"#.*", "", template), "the app is the CSP's one source"


def test_the_configuration_passes_nginx_t_with_the_image_values(tmp_path):
    # The `web` image's values (Dockerfile), except the app's address (`app` resolves only in
    # compose, and nginx resolves it at start), the ports and the directories.
    env = {
        "PATH": os.environ["PATH"] + ":/usr/sbin",
        "HELPDESK_APP": "127.0.0.1:8000",
        "NGINX_HTTP_LISTEN": str(free_port()),
        "NGINX_HTTPS_LISTEN": str(free_port()),
        "NGINX_SPA_ROOT": "/srv/helpdesk/spa",
        "NGINX_RUN_DIR": str(tmp_path / "run"),
    }
    env["NGINX_TLS_CERT"], env["NGINX_TLS_KEY"], _ = (str(part) for part in self_signed_certificate(tmp_path))
    result = subprocess.run([str(NGINX_DIR / "run"), "-t"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    rendered = (tmp_path / "run" / "nginx.conf").read_text()
    assert "${" not in re.sub(r"#.*", "", rendered)
    assert "$http_upgrade" in rendered and "$remote_addr" in rendered, "nginx's own variables survive rendering"
