import uuid

from django.conf import settings


def check_storage() -> dict:
    """Health: the private attachments directory accepts a write."""
    directory = settings.ATTACHMENTS_LOCAL_DIR
    directory.mkdir(parents=True, exist_ok=True)
    probe = directory / f".health-{uuid.uuid4().hex}"
    probe.write_bytes(b"ok")
    probe.unlink()
    return {"ok": True, "backend": "local"}
