"""Loaded with `-p` before Django is configured: the test environment, decided once per run.

Every server process a test starts inherits this environment, so tokens minted by the fake
Clerk verify there too.
"""

import os
import tempfile
import uuid

from apps.core.testing.clerk import AUTHORIZED_PARTY, FakeClerk

fake_clerk = FakeClerk()

os.environ.update(
    {
        "DEBUG": "1",
        "AUTH_DEV_LOGIN": "0",
        "DATA_DIR": tempfile.mkdtemp(prefix="helpdesk-test-"),
        "CLERK_FRONTEND_API_URL": fake_clerk.issuer,
        "CLERK_JWKS_URL": fake_clerk.jwks_url,
        "CLERK_AUTHORIZED_PARTIES": f"{AUTHORIZED_PARTY},http://127.0.0.1:8000",
        "CLERK_JWT_KEY": "",
        "ATTACHMENTS_STORAGE": "local",
        "R2_BUCKET_NAME": "",
        # Redis pub/sub ignores the database number: runs sharing a Redis must not hear each other.
        "CHANNEL_LAYER_PREFIX": f"test{uuid.uuid4().hex[:12]}",
        # Nor count each other's requests (throttles); each test gets its own namespace below it
        # (conftest.py), each server process too (servers.running_server).
        "CACHE_KEY_PREFIX": f"test{uuid.uuid4().hex[:12]}",
    }
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
