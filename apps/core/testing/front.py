"""Debian's nginx in front of a test server, with the production configuration (deploy/nginx/).

    with running_server(env) as app_url, running_front(app_url, spa_root=dist) as front:
        httpx.get(f"{front.url}/tickets/42", verify=front.ssl_context())

`deploy/nginx/run` renders `nginx.conf.template` and starts nginx exactly as the `web` image does;
only the placeholders differ: the upstream is the test server, the listen addresses are free
loopback ports, the paths are a fresh directory. TLS uses a self-signed certificate for
`127.0.0.1` and `localhost` made here. nginx runs unprivileged (as `nobody` when the tests run as
root) and in the foreground; its output (access and error log) goes to `front.log`. deploy/nginx/
and the SPA build are copied into nginx's own directory first, so that user can read them wherever
the checkout lives (a clone under /root is not readable by `nobody`).
"""

import base64
import contextlib
import datetime
import hashlib
import ipaddress
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from apps.core.testing.servers import REPO_ROOT, free_port

NGINX_DIR = REPO_ROOT / "deploy" / "nginx"
NGINX_BINARY = shutil.which("nginx") or "/usr/sbin/nginx"
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Front:
    url: str  # https://127.0.0.1:PORT, the one origin
    http_url: str  # http://127.0.0.1:PORT, the plain-HTTP server (health, redirect to HTTPS)
    certificate: Path  # the self-signed certificate to trust (PEM)
    spki_sha256: str  # base64 SHA-256 of its public key (Chromium's --ignore-certificate-errors-spki-list)
    log: Path
    run_dir: Path

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.certificate))


def nginx_missing_reason() -> str | None:
    """Why the front cannot run here, or None."""
    if not Path(NGINX_BINARY).exists():
        return "Debian's nginx is not installed (apt-get install -y nginx; .ci/run installs it)"
    if not shutil.which("envsubst"):
        return "envsubst is not installed (apt-get install -y gettext-base)"
    return None


def self_signed_certificate(directory: Path) -> tuple[Path, Path, str]:
    """A P-256 certificate for 127.0.0.1 and localhost, valid for a day: (cert, key, SPKI hash)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return cert_path, key_path, base64.b64encode(hashlib.sha256(spki).digest()).decode()


def _unprivileged_user() -> dict:
    """Popen arguments that drop root to `nobody`; nothing when not root."""
    if os.geteuid() != 0:
        return {}
    nobody = pwd.getpwnam("nobody")
    return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}


def _give_to(path: Path, popen_user: dict) -> None:
    if popen_user:
        for item in [path, *path.rglob("*")]:
            os.chown(item, popen_user["user"], popen_user["group"])


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}; log {log}:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nginx not listening on {port} after {timeout}s; log {log}:\n{log.read_text(errors='replace')}")


@contextlib.contextmanager
def running_front(app_url: str, *, spa_root: Path, timeout: float = 20) -> Iterator[Front]:
    """Start nginx with deploy/nginx/ in front of `app_url` (http://host:port), serving the SPA
    build at `spa_root`; yield a `Front`; stop nginx on exit (its log is printed on a failure)."""
    reason = nginx_missing_reason()
    if reason:
        raise RuntimeError(reason)
    workdir = Path(tempfile.mkdtemp(prefix="helpdesk-front-"))
    workdir.chmod(0o755)
    shutil.copytree(NGINX_DIR, workdir / "nginx")
    shutil.copytree(spa_root, workdir / "spa")
    cert, key, spki = self_signed_certificate(workdir)
    # nginx reopens /dev/stdout for its access log: the file behind it must be nginx's user's.
    log = workdir / "nginx.log"
    log.touch()
    popen_user = _unprivileged_user()
    _give_to(workdir, popen_user)
    http_port, https_port = free_port(), free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin") + ":/usr/sbin:/sbin",
        "HELPDESK_APP": urlsplit(app_url).netloc,
        "NGINX_HTTP_LISTEN": f"{HOST}:{http_port}",
        "NGINX_HTTPS_LISTEN": f"{HOST}:{https_port}",
        "NGINX_SPA_ROOT": str(workdir / "spa"),
        "NGINX_TLS_CERT": str(cert),
        "NGINX_TLS_KEY": str(key),
        "NGINX_RUN_DIR": str(workdir / "run"),
    }
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [str(workdir / "nginx" / "run")],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            **popen_user,
        )
        try:
            _wait_for_port(https_port, process, log, timeout)
            _wait_for_port(http_port, process, log, timeout)
            yield Front(
                url=f"https://{HOST}:{https_port}",
                http_url=f"http://{HOST}:{http_port}",
                certificate=cert,
                spki_sha256=spki,
                log=log,
                run_dir=workdir / "run",
            )
        except BaseException:
            sys.stderr.write(f"--- nginx log ({log}) ---\n{log.read_text(errors='replace')[-6000:]}\n")
            raise
        finally:
            # SIGTERM is nginx's fast shutdown: a graceful one would wait for open websockets.
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
