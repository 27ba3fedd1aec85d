"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for email tests.

    with SmtpServer() as smtp:
        drain_queue({"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port)})
        [message] = smtp.wait_for(1)
        message.rcpt_tos, message.parsed["Subject"]

`SmtpServer(port=...)` on a port chosen earlier lets a test start the server after a worker found
nothing listening there (SMTP down, then back).
"""

import email
import email.policy
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from apps.core.testing.servers import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    parsed: EmailMessage = field(init=False)

    def __post_init__(self):
        self.parsed = email.message_from_bytes(self.data, policy=email.policy.default)

    def header(self, name: str) -> str | None:
        """A header's value, unfolded (long ones are folded onto a continuation line when sent)."""
        value = self.parsed[name]
        return None if value is None else " ".join(str(value).split())

    def part(self, content_type: str) -> str:
        """The decoded text of the body part with this content type ("text/plain", "text/html")."""
        for part in self.parsed.walk():
            if part.get_content_type() == content_type and not part.is_multipart():
                return part.get_content().replace("\r\n", "\n")
        raise AssertionError(f"no {content_type} part in {self.parsed['Subject']!r}")


class _Handler:
    def __init__(self, server: "SmtpServer"):
        self.server = server

    async def handle_DATA(self, server, session, envelope):
        self.server._add(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def _add(self, message: Received) -> None:
        with self._lock:
            self.messages.append(message)

    def __enter__(self) -> "SmtpServer":
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()

    def received(self) -> list[Received]:
        with self._lock:
            return list(self.messages)

    def wait_for(self, count: int, *, timeout: float = 60) -> list[Received]:
        """At least `count` messages (all received so far), or fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while len(self.received()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} messages, got {len(self.received())} within {timeout}s")
            time.sleep(0.05)
        return self.received()

    def env(self) -> dict[str, str]:
        """The worker environment that sends through this server."""
        return {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(self.port), "EMAIL_USE_TLS": "0", "EMAIL_USE_SSL": "0"}
