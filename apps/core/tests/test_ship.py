"""deploy/ship, the deploy job's script, run for real against a stand-in `ssh` that records each
call (its arguments and what it got on stdin) instead of reaching a host."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from apps.core.testing.servers import REPO_ROOT

SHIP = REPO_ROOT / "deploy" / "ship"
FAKE_SSH = f"""#!{sys.executable}
import json, os, sys
log = os.environ["SSH_LOG"]
calls = json.load(open(log)) if os.path.exists(log) else []
calls.append({{"argv": sys.argv[1:], "stdin": sys.stdin.read()}})
json.dump(calls, open(log, "w"))
"""
SECRETS = {
    "SECRET_KEY": "k3y-$HOME-#not-a-comment-" + "x" * 40,
    "POSTGRES_PASSWORD": "pg-secret-value",
    "REGISTRY_TOKEN": "ghp_registrytokenvalue",
    "CLERK_JWT_KEY": "-----BEGIN PUBLIC KEY-----\\nMIIBIjANBgkq\\n-----END PUBLIC KEY-----",
    "R2_ACCESS_KEY_ID": "r2-access-key-id",
    "R2_SECRET_ACCESS_KEY": "r2-secret-access-key",
}
SETTINGS = {
    "DEPLOY_HOST": "helpdesk.example.com",
    "DEPLOY_USER": "deploy",
    "DEPLOY_PATH": "/srv/help desk",
    "REGISTRY": "ghcr.io",
    "REGISTRY_USERNAME": "helpdesk-bot",
    "HELPDESK_IMAGE": "ghcr.io/acme/helpdesk",
    "HELPDESK_WEB_IMAGE": "ghcr.io/acme/helpdesk-web",
    "HELPDESK_TAG": "sha-0123456789abcdef0123456789abcdef01234567",
    "ALLOWED_HOSTS": "helpdesk.example.com,localhost",
    "CSRF_TRUSTED_ORIGINS": "https://helpdesk.example.com",
    "CLERK_FRONTEND_API_URL": "https://clerk.helpdesk.example.com",
    "R2_ACCOUNT_ID": "0123abcd",
    "R2_BUCKET_NAME": "helpdesk-attachments",
}


def ship(tmp_path: Path, **overrides) -> tuple[subprocess.CompletedProcess, list[dict]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "ssh").write_text(FAKE_SSH)
    (bin_dir / "ssh").chmod(0o755)
    log = tmp_path / "ssh.json"
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "SSH_LOG": str(log),
        **SETTINGS,
        **SECRETS,
        **overrides,
    }
    env = {name: value for name, value in env.items() if value is not None}
    result = subprocess.run([str(SHIP)], env=env, capture_output=True, text=True, timeout=60)
    return result, (json.loads(log.read_text()) if log.exists() else [])


def remote_command(call: dict) -> str:
    argv = call["argv"]
    assert argv[:5] == ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "deploy@helpdesk.example.com"]
    return " ".join(argv[5:])


def test_ship_sends_compose_and_settings_then_pulls_and_starts(tmp_path):
    result, calls = ship(tmp_path)
    assert result.returncode == 0, result.stderr
    commands = [remote_command(call) for call in calls]
    directory = r"/srv/help\ desk"
    assert commands == [
        f"mkdir -p {directory}/deploy/certs",
        f"cat > {directory}/compose.yaml",
        f"umask 077 && cat > {directory}/.env",
        "docker login ghcr.io --username helpdesk-bot --password-stdin",
        f"cd {directory} && docker compose pull --quiet && "
        "docker compose up --detach --no-build --remove-orphans --wait --wait-timeout 300",
    ]
    assert calls[1]["stdin"] == (REPO_ROOT / "compose.yaml").read_text()
    assert calls[3]["stdin"].strip() == SECRETS["REGISTRY_TOKEN"]

    # The .env reads back exactly, `$` and `#` included (single quotes: literal for compose too).
    dotenv = dotenv_values(stream=io.StringIO(calls[2]["stdin"]), interpolate=False)
    for name, value in {**SECRETS, **SETTINGS}.items():
        if name in {"REGISTRY_TOKEN", "REGISTRY", "REGISTRY_USERNAME"} or name.startswith("DEPLOY_"):
            assert name not in dotenv, f"{name} is for the deploy, not the host's settings"
        else:
            assert dotenv[name] == value, name
    # No secret is ever on a command line (where `ps` on either machine would show it).
    for call in calls:
        for secret in SECRETS.values():
            assert secret not in " ".join(call["argv"])


@pytest.mark.parametrize("name", ["SECRET_KEY", "REGISTRY_TOKEN", "DEPLOY_HOST", "HELPDESK_TAG"])
def test_ship_refuses_to_start_without_a_required_setting(tmp_path, name):
    result, calls = ship(tmp_path, **{name: None})
    assert result.returncode != 0 and name in result.stderr
    assert calls == []


def test_ship_refuses_a_value_compose_could_not_read_back_before_touching_the_host(tmp_path):
    result, calls = ship(tmp_path, R2_SECRET_ACCESS_KEY="it's")
    assert result.returncode != 0
    assert "R2_SECRET_ACCESS_KEY contains a single quote" in result.stderr
    assert calls == []
