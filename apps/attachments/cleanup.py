"""Storage housekeeping: abandoned uploads and objects no attachment refers to (`attachments_cleanup`)."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.attachments.models import Attachment, AttachmentStatus
from apps.attachments.services import STORAGE_ERRORS
from apps.attachments.storage import get_storage

logger = logging.getLogger(__name__)

PENDING_UPLOAD_MAX_AGE = timedelta(days=1)


@dataclass(frozen=True)
class CleanupResult:
    pending_removed: int
    orphans_removed: int


def attachments_cleanup(*, now=None, max_age: timedelta = PENDING_UPLOAD_MAX_AGE) -> CleanupResult:
    """Removes uploads still pending after `max_age` (object and row), then stored objects older
    than that which no row knows (left by a deleted ticket, or a crash between the two deletions)."""
    cutoff = (now or timezone.now()) - max_age
    storage = get_storage()
    return CleanupResult(
        pending_removed=_remove_stale_pending(storage, cutoff),
        orphans_removed=_remove_orphans(storage, cutoff),
    )


def _remove_stale_pending(storage, cutoff) -> int:
    stale_ids = list(
        Attachment.objects.filter(status=AttachmentStatus.PENDING, created_at__lt=cutoff).values_list("pk", flat=True)
    )
    removed = 0
    for attachment_id in stale_ids:
        try:
            with transaction.atomic():
                # Locked and re-checked: a completion racing the cleanup wins or waits, never half-loses.
                attachment = (
                    Attachment.objects.select_for_update()
                    .filter(pk=attachment_id, status=AttachmentStatus.PENDING)
                    .first()
                )
                if attachment is None:
                    continue
                storage.delete(attachment.key)
                attachment.delete()
                removed += 1
        except STORAGE_ERRORS:
            # The row stays (rolled back) so the next run tries again: no object without its row.
            logger.exception("could not delete stored object of attachment %s; will retry", attachment_id)
    return removed


ORPHAN_BATCH = 500


def _remove_orphans(storage, cutoff) -> int:
    removed = 0
    batch: list[str] = []

    def flush() -> int:
        known = set(Attachment.objects.filter(key__in=batch).values_list("key", flat=True))
        orphans = [key for key in batch if key not in known]
        for key in orphans:
            storage.delete(key)
        batch.clear()
        return len(orphans)

    try:
        for key in storage.keys_older_than(cutoff):
            batch.append(key)
            if len(batch) >= ORPHAN_BATCH:
                removed += flush()
        if batch:
            removed += flush()
    except STORAGE_ERRORS:
        logger.exception("orphan sweep stopped early; the next run continues")
    return removed
