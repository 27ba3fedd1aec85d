"""The Content-Security-Policy (apps/core/csp.py): what every response carries, Clerk mode's and the
storage's allowances, and the refusal of a malformed publishable key. That the SPA and the admin
really work under it is checked in a browser: the e2e records every violation (frontend/e2e/lib.mjs)."""

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import Client

from apps.core.csp import ContentSecurityPolicyMiddleware, clerk_frontend_api_host

CLERK_HOST = "clean-mongoose-1.clerk.accounts.dev"
CLERK_KEY = "pk_test_Y2xlYW4tbW9uZ29vc2UtMS5jbGVyay5hY2NvdW50cy5kZXYk"  # base64 of "<CLERK_HOST>$"
CLERK_ONLY = ["https://challenges.cloudflare.com", "https://img.clerk.com", f"https://{CLERK_HOST}", "clerk"]


def directives(response) -> dict[str, list[str]]:
    values = response.headers.get("Content-Security-Policy")
    assert values, "no Content-Security-Policy"
    parsed = {}
    for part in values.split(";"):
        name, *sources = part.split()
        assert name not in parsed, f"{name} twice"
        parsed[name] = sources
    return parsed


@pytest.fixture
def shell(settings, tmp_path):
    (tmp_path / "index.html").write_text(
        '<!doctype html><div id="app"></div><script type="module" src="/assets/x.js"></script>'
    )
    settings.SPA_DIST_DIR = tmp_path
    settings.CLERK_PUBLISHABLE_KEY = ""
    settings.ATTACHMENTS_STORAGE = "local"
    return Client()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/tickets/1", "/", "/admin/login/", "/api/v1/health", "/api/v1/no-such-endpoint"])
def test_every_response_carries_the_policy_once_with_frame_ancestors_and_referrer_policy(shell, path):
    response = shell.get(path)
    assert response.status_code in (200, 302, 404), response.status_code
    assert len([h for h in response.headers if h.lower() == "content-security-policy"]) == 1
    policy = directives(response)
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]  # no inline scripts, no eval, no foreign hosts
    assert policy["style-src"] == ["'self'"]  # <style> elements only from files
    assert policy["style-src-attr"] == ["'unsafe-inline'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-src"] == ["'none'"]
    assert policy["connect-src"] == ["'self'", "ws://testserver", "wss://testserver"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert policy["worker-src"] == ["'self'"]
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_socket_hosts_follow_the_request_host(shell, settings):
    settings.ALLOWED_HOSTS = ["desk.example.com"]
    policy = directives(shell.get("/tickets", HTTP_HOST="desk.example.com"))
    assert policy["connect-src"] == ["'self'", "ws://desk.example.com", "wss://desk.example.com"]
    # A refused Host still gets a policy, only without socket hosts.
    refused = shell.get("/tickets", HTTP_HOST="evil.example.net")
    assert refused.status_code == 400
    assert directives(refused)["connect-src"] == ["'self'"]


def test_clerk_mode_allows_exactly_clerks_documented_sources(shell, settings):
    settings.CLERK_PUBLISHABLE_KEY = CLERK_KEY
    policy = directives(shell.get("/sign-in"))
    fapi = f"https://{CLERK_HOST}"
    assert policy["script-src"] == ["'self'", fapi, "https://challenges.cloudflare.com"]
    assert policy["connect-src"] == ["'self'", "ws://testserver", "wss://testserver", fapi]
    assert policy["frame-src"] == ["https://challenges.cloudflare.com"]
    assert policy["img-src"] == ["'self'", "data:", "blob:", "https://img.clerk.com"]
    assert policy["worker-src"] == ["'self'", "blob:"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_without_a_key_no_clerk_source_is_allowed(shell):
    response = shell.get("/sign-in")
    header = response.headers["Content-Security-Policy"]
    for source in CLERK_ONLY:
        assert source not in header
    assert directives(response)["worker-src"] == ["'self'"]  # blob: workers are Clerk's only


def test_the_vite_variable_alone_turns_clerk_mode_on(tmp_path):
    from apps.core.tests.test_settings import _manage

    code = "from apps.core.csp import clerk_publishable_key as k; print(k())"
    result = _manage({"VITE_CLERK_PUBLISHABLE_KEY": CLERK_KEY, "CLERK_PUBLISHABLE_KEY": ""}, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == CLERK_KEY


@pytest.mark.parametrize(
    ("key", "host"),
    [
        (CLERK_KEY, CLERK_HOST),
        ("pk_live_" + base64.b64encode(b"clerk.desk.example.com$").decode().rstrip("="), "clerk.desk.example.com"),
    ],
)
def test_the_frontend_api_host_is_decoded_from_the_key(key, host):
    assert clerk_frontend_api_host(key) == host


@pytest.mark.parametrize(
    "key",
    [
        "sk_test_" + base64.b64encode(b"clerk.example.com$").decode(),  # a secret key, not a publishable one
        "pk_test_not base64!",
        "pk_test_" + base64.b64encode(b"clerk.example.com").decode(),  # no "$"
        "pk_test_" + base64.b64encode(b"x.com; script-src *$").decode(),  # would inject a directive
        "pk_test_" + base64.b64encode(b"https://clerk.example.com$").decode(),
        "pk_test_",
    ],
)
def test_a_malformed_key_stops_the_server_at_start(settings, key):
    settings.CLERK_PUBLISHABLE_KEY = key
    with pytest.raises(ImproperlyConfigured):
        ContentSecurityPolicyMiddleware(lambda request: HttpResponse())


@pytest.mark.parametrize(
    ("endpoint", "region", "origin"),
    [
        ("https://0123abcd.r2.cloudflarestorage.com", "auto", "https://0123abcd.r2.cloudflarestorage.com"),
        ("http://127.0.0.1:9000/", "us-east-1", "http://127.0.0.1:9000"),
        ("https://minio.example.com/some/prefix", "eu-west-1", "https://minio.example.com"),
        ("", "eu-central-1", "https://s3.eu-central-1.amazonaws.com"),
        ("", "us-east-1", "https://s3.amazonaws.com"),
    ],
)
def test_s3_storage_origin_is_allowed_for_uploads_and_thumbnails_only(shell, settings, endpoint, region, origin):
    settings.ATTACHMENTS_STORAGE = "s3"
    settings.S3_ENDPOINT_URL = endpoint
    settings.S3_REGION = region
    policy = directives(shell.get("/tickets/1"))
    assert policy["connect-src"] == ["'self'", "ws://testserver", "wss://testserver", origin]
    assert policy["img-src"] == ["'self'", "data:", "blob:", origin]
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-src"] == ["'none'"]


def test_storage_and_clerk_allowances_combine(shell, settings):
    settings.ATTACHMENTS_STORAGE = "s3"
    settings.S3_ENDPOINT_URL = "https://0123abcd.r2.cloudflarestorage.com"
    settings.CLERK_PUBLISHABLE_KEY = CLERK_KEY
    policy = directives(shell.get("/tickets/1"))
    storage = "https://0123abcd.r2.cloudflarestorage.com"
    assert policy["connect-src"] == ["'self'", "ws://testserver", "wss://testserver", storage, f"https://{CLERK_HOST}"]
    assert policy["img-src"] == ["'self'", "data:", "blob:", storage, "https://img.clerk.com"]


def test_a_response_with_its_own_policy_keeps_it(rf, settings):
    settings.CLERK_PUBLISHABLE_KEY = ""

    def sandboxed(request):
        response = HttpResponse("file")
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    response = ContentSecurityPolicyMiddleware(sandboxed)(rf.get("/api/v1/attachments/local/x"))
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
