"""Real server processes for tests: uvicorn serving `project.asgi:application` on a free port.

    with running_server({"AUTH_DEV_LOGIN": "1"}) as base_url:
        httpx.get(f"{base_url}/api/v1/health")

The child gets this process's environment (the test environment from the pytest plugin:
DEBUG=1, the fake Clerk, ...) updated with `env`. Its output goes to a log file; when the
server does not come up, or the `with` body raises, the log's tail is printed to stderr so
pytest shows it with the failure.
"""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[3]
HEALTH_PATH = "/api/v1/health"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(env: dict) -> dict:
    """This process's environment updated with `env`; a value of None removes the variable."""
    merged = {**os.environ, **{name: str(value) for name, value in env.items() if value is not None}}
    for name in [name for name, value in env.items() if value is None]:
        merged.pop(name, None)
    merged.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    merged["PYTHONUNBUFFERED"] = "1"
    return merged


def manage(env: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """`manage.py <args>` in a child process with `env`; raises with its output when it fails.

    The timeout catches a hang, not slowness: `seed_demo` replays ~600 domain events through SLA and
    notifications and takes minutes on a loaded 2-core machine.
    """
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=child_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def _tail(path: Path, lines: int = 80) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_until_up(
    base_url: str, process: subprocess.Popen, log: Path, *, healthy: bool, timeout: float, headers: dict
) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before it was up; log {log}:\n{_tail(log)}")
        try:
            response = httpx.get(base_url + HEALTH_PATH, headers=headers, timeout=5)
            if response.status_code == 200 or not healthy:
                return
            last = f"{response.status_code} {response.text[:300]}"
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.1)
    raise RuntimeError(
        f"server not {'healthy' if healthy else 'up'} after {timeout}s ({last}); log {log}:\n{_tail(log)}"
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextlib.contextmanager
def running_server(
    env: dict,
    *,
    port: int | None = None,
    healthy: bool = True,
    timeout: float = 60,
    log_path: Path | None = None,
    uvicorn_args: tuple[str, ...] = (),
    access_log: bool = False,
    health_headers: dict | None = None,
) -> Iterator[str]:
    """Start uvicorn with `env` on `port` (a free one by default), wait for /api/v1/health, yield
    the base URL ("http://127.0.0.1:PORT"), and stop the server on exit.

    `healthy=False` only waits until health answers at all (for tests of a failing dependency).
    `uvicorn_args` are added to uvicorn's command line; `access_log=True` keeps uvicorn's access
    log (one line per request, with the client address the app saw) in the log file.
    `health_headers` go with the health polls (e.g. `X-Forwarded-Proto: https` for DEBUG=0).
    Migrations are not run here: call `manage(env, "migrate")` first when the database is new.
    """
    port = port or free_port()
    # Its own throttle counters (several servers of one test run share a Redis), unless the test
    # wants servers to count together and names the namespace.
    env = {"CACHE_KEY_PREFIX": f"{os.environ.get('CACHE_KEY_PREFIX') or 'helpdesk'}-{uuid.uuid4().hex[:8]}", **env}
    log = log_path or Path(tempfile.mkdtemp(prefix="helpdesk-server-")) / "server.log"
    base_url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "project.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *([] if access_log else ["--no-access-log"]),
        *uvicorn_args,
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=child_env(env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            _wait_until_up(base_url, process, log, healthy=healthy, timeout=timeout, headers=health_headers or {})
            yield base_url
        except BaseException:
            sys.stderr.write(f"--- server log ({log}) ---\n{_tail(log)}\n")
            raise
        finally:
            _stop(process)


def main(argv: list[str]) -> int:
    """`python -m apps.core.testing.servers [--nginx] -- COMMAND...`: run COMMAND against a fresh server.

    The server gets a new DATA_DIR (fresh SQLite, local attachments), migrations and demo data,
    DEBUG=1 and AUTH_DEV_LOGIN=1 — the contract of `npm run e2e` (frontend/README.md) — and a
    background worker beside it, as under `make run`; mail is written as .eml files to
    DATA_DIR/mail/ and goes at once (EMAIL_COALESCE_SECONDS=0). REDIS_URL is passed through, so a
    run with Redis exercises the Redis channel layer. COMMAND gets E2E_BASE_URL and E2E_DATA_DIR;
    its exit code is returned.

    With `--nginx` the server sits behind the production nginx configuration (testing/front.py)
    serving `frontend/dist`: E2E_BASE_URL is nginx's HTTPS origin, and COMMAND also gets
    NODE_EXTRA_CA_CERTS (Node trusts the test certificate) and E2E_TRUSTED_SPKI (so does Chromium).
    """
    from apps.core.testing.workers import running_worker

    through_nginx = argv[:1] == ["--nginx"]
    argv = argv[1:] if through_nginx else argv
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        sys.stderr.write("usage: python -m apps.core.testing.servers [--nginx] -- COMMAND [ARGS...]\n")
        return 2
    data_dir = Path(tempfile.mkdtemp(prefix="helpdesk-e2e-"))
    port = free_port()
    env = {
        "DEBUG": "1",
        "AUTH_DEV_LOGIN": "1",
        "DATABASE_URL": "",
        "DATA_DIR": str(data_dir),
        "EMAIL_HOST": "",
        "EMAIL_COALESCE_SECONDS": "0",
        "SITE_URL": f"http://127.0.0.1:{port}",
    }
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    log = data_dir / "server.log"
    with contextlib.ExitStack() as stack:
        base_url = stack.enter_context(running_server(env, port=port, log_path=log))
        stack.enter_context(running_worker(env, interval=0.2, log_path=data_dir / "worker.log"))
        command_env = {**os.environ, "E2E_BASE_URL": base_url, "E2E_DATA_DIR": str(data_dir)}
        if through_nginx:
            from apps.core.testing.front import running_front

            front = stack.enter_context(running_front(base_url, spa_root=REPO_ROOT / "frontend" / "dist"))
            command_env |= {
                "E2E_BASE_URL": front.url,
                "NODE_EXTRA_CA_CERTS": str(front.certificate),
                "E2E_TRUSTED_SPKI": front.spki_sha256,
            }
            print(f"nginx {front.url} → {base_url} (nginx log {front.log})", flush=True)
        print(f"server {base_url} (log {log}): {' '.join(command)}", flush=True)
        result = subprocess.run(command, env=command_env)
    if result.returncode != 0:
        sys.stderr.write(f"--- server log ({log}) ---\n{_tail(log)}\n")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
