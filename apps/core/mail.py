"""Mail without an SMTP server: each message is written as one `.eml` file, as a mail client saves it.

Used when EMAIL_HOST is unset (make run, tests, e2e): open the files under DATA_DIR/mail/ with any
mail client, or read them with `email.message_from_bytes`. Django's own file backend appends
several messages to one log file, which no mail client opens.
"""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, *, file_path: str | Path | None = None, fail_silently: bool = False, **kwargs):
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages) -> int:
        if not email_messages:
            return 0
        self.directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:8]}.eml"
            # Written aside, then renamed: whoever watches the directory never reads half a message.
            partial = self.directory / f".{name}.part"
            partial.write_bytes(message.message().as_bytes(linesep="\r\n"))
            partial.rename(self.directory / name)
        return len(email_messages)
