"""Startup refusals and the production configuration, checked in child processes the way an
operator runs them (`manage.py check`), since settings are read once at import."""

import re
import secrets
import subprocess
import sys

import pytest

from apps.core.testing.servers import REPO_ROOT, child_env

DEPLOYING = REPO_ROOT / "docs" / "deploying.md"


def _manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=child_env(env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _strong_key() -> str:
    return secrets.token_urlsafe(50)


def documented_production_env() -> dict[str, str]:
    """The first env block of docs/deploying.md; `<...>` placeholders get a real secret."""
    section = DEPLOYING.read_text()
    block = re.search(r"```(?:env|sh|bash)\n(.*?)```", section, re.S).group(1)
    env = {}
    for line in block.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        env[name] = _strong_key() if value.startswith("<") else value
    return env


@pytest.mark.parametrize(
    "secret_key",
    ["", "short", "django-insecure-" + "x1y2z3" * 10, "a" * 60],
    ids=["missing", "short", "django-insecure-prefix", "too-few-distinct"],
)
def test_debug_off_refuses_an_insecure_secret_key(secret_key, tmp_path):
    result = _manage(
        {"DEBUG": "0", "AUTH_DEV_LOGIN": "0", "SECRET_KEY": secret_key, "DATA_DIR": str(tmp_path)}, "check"
    )
    assert result.returncode != 0
    assert "SECRET_KEY is missing or insecure" in result.stderr


def test_debug_off_refuses_dev_sign_in(tmp_path):
    env = {"DEBUG": "0", "AUTH_DEV_LOGIN": "1", "SECRET_KEY": _strong_key(), "DATA_DIR": str(tmp_path)}
    result = _manage(env, "check")
    assert result.returncode != 0
    assert "AUTH_DEV_LOGIN=1 is refused when DEBUG=0" in result.stderr


def test_debug_off_with_a_strong_key_starts(tmp_path):
    env = {"DEBUG": "0", "AUTH_DEV_LOGIN": "0", "SECRET_KEY": _strong_key(), "DATA_DIR": str(tmp_path)}
    result = _manage(env, "check")
    assert result.returncode == 0, result.stderr


def test_dev_sign_in_is_off_when_the_variable_is_unset(tmp_path):
    show = "from django.conf import settings; print(settings.AUTH_DEV_LOGIN, settings.DEBUG)"
    result = _manage({"DEBUG": "1", "AUTH_DEV_LOGIN": None, "DATA_DIR": str(tmp_path)}, "shell", "-c", show)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["False", "True"]


def test_debug_on_has_dev_defaults(tmp_path):
    result = _manage({"DEBUG": "1", "SECRET_KEY": "", "AUTH_DEV_LOGIN": "1", "DATA_DIR": str(tmp_path)}, "check")
    assert result.returncode == 0, result.stderr


def test_documented_production_env_passes_check_deploy_without_warnings(tmp_path):
    env = documented_production_env()
    assert env["DEBUG"] == "0"
    assert "AUTH_DEV_LOGIN" not in env or env["AUTH_DEV_LOGIN"] == "0"
    result = _manage(
        {**env, "DATA_DIR": str(tmp_path), "AUTH_DEV_LOGIN": env.get("AUTH_DEV_LOGIN", "0")}, "check", "--deploy"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_check_deploy_flags_a_development_configuration(tmp_path):
    # The previous test means something only if --deploy does complain about a weaker setup.
    result = _manage({"DEBUG": "1", "SECRET_KEY": "", "DATA_DIR": str(tmp_path)}, "check", "--deploy")
    assert "security.W018" in result.stdout + result.stderr  # DEBUG on


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ATTACHMENTS_STORAGE", "ftp"),
        ("S3_UPLOAD_METHOD", "carrier-pigeon"),
        ("ATTACHMENT_MAX_BYTES", "lots"),
        ("THROTTLE_USER_WRITES", "lots"),
        ("THROTTLE_FAILED_AUTH", "0/min"),
    ],
)
def test_invalid_values_refuse_to_start_with_a_clear_message(name, value, tmp_path):
    result = _manage({"DEBUG": "1", name: value, "DATA_DIR": str(tmp_path)}, "check")
    assert result.returncode != 0
    assert name in result.stderr
