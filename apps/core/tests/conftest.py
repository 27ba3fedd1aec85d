import threading

import pytest

from apps.core.testing.clerk import FakeClerk


@pytest.fixture
def clerk(settings):
    """A fresh fake Clerk instance (own key, own JWKS server and fetch counter) the API trusts."""
    fake = FakeClerk()
    settings.CLERK_FRONTEND_API_URL = fake.issuer
    settings.CLERK_JWKS_URL = fake.jwks_url
    settings.CLERK_JWT_KEY = ""
    yield fake
    # shutdown() waits out serve_forever's poll interval; no test needs to wait for that.
    threading.Thread(target=lambda: (fake.server.shutdown(), fake.server.server_close()), daemon=True).start()
