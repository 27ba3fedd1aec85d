"""Schemathesis against the real server, as each kind of user: the API's permanent fuzzing guard.

    python -m apps.core.testing.fuzz            # the bounded run `make test` does (a few minutes)
    python -m apps.core.testing.fuzz --hunt 900 # every phase incl. stateful, ~15 min per role

A fresh database (SQLite under a temporary directory, or a scratch PostgreSQL database when
DATABASE_URL points at PostgreSQL; REDIS_URL is passed through), `migrate` and `seed_demo`, then
uvicorn serving `project.asgi:application` (apps/core/testing/servers.py). Each role signs in
through the dev sign-in and Schemathesis runs against `/api/v1/openapi.json` with its token:

- requester (requester@example.com), approver-only requester (approver@example.com: a requester
  who sees a ticket only as its approver), agent (agent@example.com), admin (admin@example.com),
  in that order, so the admin's deletions come last;
- checks: not_a_server_error, status_code_conformance, content_type_conformance,
  response_headers_conformance, response_schema_conformance, negative_data_rejection,
  use_after_free, ensure_resource_availability; NUL characters are generated;
- exit status 1 if any role's run found anything; each run's summary (operations, test cases)
  is printed, then the server log's errors, if any.

A real server rather than Schemathesis' ASGI transport: the transport runs the app in the
fuzzer's process and event loop, without uvicorn's HTTP parsing, and with the app's database
connections in the same process as the checks; over HTTP, what is tested is what runs.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from apps.core.testing.live_cluster import scratch_database
from apps.core.testing.servers import manage, running_server

ROLES = [
    ("requester", "requester@example.com"),
    ("approver-only requester", "approver@example.com"),
    ("agent", "agent@example.com"),
    ("admin", "admin@example.com"),
]
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "use_after_free",
    "ensure_resource_availability",
]
# The bounded run of `make test`. Validation runs after authentication and before any view, the
# same for every role, so the coverage phase (every operation's documented edges, positive and
# negative) runs once, as the admin, who reaches the most views; every role gets examples and
# random fuzzing. See docs/input-rules.md for the figures.
CI_PHASES = {"admin": "examples,coverage,fuzzing"}
CI_DEFAULT_PHASES = "examples,fuzzing"
CI_MAX_EXAMPLES = 6
HUNT_PHASES = "examples,coverage,fuzzing,stateful"


def _server_env(workdir: Path, database_url: str, token_lifetime: int) -> dict:
    return {
        "DEBUG": "1",
        "AUTH_DEV_LOGIN": "1",
        "DATABASE_URL": database_url,
        "DATA_DIR": str(workdir),
        "DEV_TOKEN_LIFETIME_SECONDS": str(token_lifetime),
        "CHANNEL_LAYER_PREFIX": f"fuzz{uuid.uuid4().hex[:10]}",
        # Only the dev sign-in's own key signs tokens here, whatever the shell has configured.
        "CLERK_FRONTEND_API_URL": "",
        "CLERK_JWKS_URL": "",
        "CLERK_JWT_KEY": "",
        "CLERK_AUTHORIZED_PARTIES": "",
        "ATTACHMENTS_STORAGE": "local",
        "R2_BUCKET_NAME": "",
        "LOG_LEVEL": "WARNING",
        # A fuzzer is a flood by design: limits it would hit turn its cases into 429s that test
        # nothing else. Throttling has its own tests (apps/core/tests).
        "THROTTLE_USER_WRITES": "1000000/min",
        "THROTTLE_ANONYMOUS": "1000000/min",
        "THROTTLE_FAILED_AUTH": "1000000/min",
    }


def _token(base_url: str, email: str) -> str:
    response = httpx.post(f"{base_url}/api/v1/auth/dev/token", json={"email": email}, timeout=30)
    response.raise_for_status()
    return response.json()["access_token"]


def _summary(output: str) -> dict:
    """The figures Schemathesis prints at the end of a run."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)
    figures = {}
    tested = re.search(r"API Operations:\s*\n\s*Selected:\s*(\d+)/(\d+)\s*\n\s*Tested:\s*(\d+)", plain)
    if tested:
        figures["operations_tested"] = int(tested.group(3))
        figures["operations"] = int(tested.group(2))
    cases = re.search(r"Test cases:\s*\n\s*(\d+) generated", plain)
    if cases:
        figures["cases"] = int(cases.group(1))
    scenarios = re.search(r"Scenarios:\s*(\d+)", plain)
    links = re.search(r"API Links:\s*(\d+) covered / (\d+) selected", plain)
    if scenarios and links:
        figures["stateful"] = f"{scenarios.group(1)} scenarios, {links.group(1)}/{links.group(2)} links"
    return figures


def _run_role(base_url: str, role: str, token: str, args: argparse.Namespace, report_dir: Path) -> tuple[int, str]:
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{base_url}/api/v1/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        ",".join(CHECKS),
        "--generation-allow-x00",
        "true",
        "--workers",
        "2",
        "--no-color",
        "--seed",
        str(args.seed),
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--report",
        "junit",
        "--report-dir",
        str(report_dir / role.replace(" ", "-")),
        "--suppress-health-check",
        "all",
    ]
    if args.hunt:
        command += ["--phases", HUNT_PHASES, "--max-time", str(args.hunt), "--continue-on-failure"]
    else:
        phases = CI_PHASES.get(role, CI_DEFAULT_PHASES)
        command += ["--phases", phases, "--max-examples", str(CI_MAX_EXAMPLES)]
    # In the work directory: Schemathesis keeps caches in the current one.
    result = subprocess.run(command, cwd=report_dir.parent, capture_output=True, text=True, check=False)
    return result.returncode, result.stdout + result.stderr


def _server_errors(log: Path) -> list[str]:
    """Crashes the API logged, even those a check could not see (a 500 the schema allowed, say).
    Outside /api/ the fuzzer's probes may meet the SPA shell's 503 when the SPA is not built."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return [line for line in text.splitlines() if "Traceback" in line or (" ERROR " in line and "/api/" in line)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hunt", type=int, default=0, metavar="SECONDS", help="long run: every phase, per role")
    parser.add_argument("--roles", default=",".join(r for r, _ in ROLES), help="comma list of roles to run")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--keep", action="store_true", help="keep the work directory (reports, server log)")
    args = parser.parse_args(argv)
    roles = [(role, email) for role, email in ROLES if role in args.roles.split(",")]

    workdir = Path(tempfile.mkdtemp(prefix="helpdesk-fuzz-"))
    database = os.environ.get("DATABASE_URL", "").strip()
    postgres_url = database if database.startswith(("postgres://", "postgresql://")) else None
    started = time.monotonic()
    totals = {"operations": 0, "cases": 0}
    failed = []
    with scratch_database(workdir, postgres_url=postgres_url) as database_url:
        env = _server_env(workdir, database_url, token_lifetime=max(3600, 2 * args.hunt * len(roles)))
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo")
        log = workdir / "server.log"
        with running_server(env, log_path=log) as base_url:
            vendor = httpx.get(f"{base_url}/api/v1/health").json()["checks"]["database"]["vendor"]
            print(f"schemathesis on {vendor}: {base_url} (work dir {workdir})", flush=True)
            tokens = {role: _token(base_url, email) for role, email in roles}
            for role, _ in roles:
                role_started = time.monotonic()
                code, output = _run_role(base_url, role, tokens[role], args, workdir / "reports")
                figures = _summary(output)
                totals["operations"] = max(totals["operations"], figures.get("operations_tested", 0))
                totals["cases"] += figures.get("cases", 0)
                (workdir / "reports").mkdir(exist_ok=True)
                (workdir / "reports" / f"{role.replace(' ', '-')}.log").write_text(output)
                stateful = f", stateful: {figures['stateful']}" if "stateful" in figures else ""
                print(
                    f"  {role}: {figures.get('operations_tested', '?')} operations, "
                    f"{figures.get('cases', '?')} cases{stateful}, {time.monotonic() - role_started:.0f} s, "
                    f"{'ok' if code == 0 else 'FAILED'}",
                    flush=True,
                )
                if code != 0 or "cases" not in figures:
                    failed.append(role)
                    sys.stdout.write(output[-20000:] + "\n")
        errors = _server_errors(log)
    print(
        json.dumps(
            {
                "database": vendor,
                "roles": len(roles),
                "operations": totals["operations"],
                "cases": totals["cases"],
                "seconds": round(time.monotonic() - started),
                "failed_roles": failed,
                "server_errors": len(errors),
            }
        ),
        flush=True,
    )
    if errors:
        print("server log errors:\n" + "\n".join(errors[:50]))
    if not args.keep and not failed and not errors:
        subprocess.run(["rm", "-rf", str(workdir)], check=False)
    return 1 if failed or errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
