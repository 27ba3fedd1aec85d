from datetime import timedelta

from django.core.management.base import BaseCommand

from apps.attachments.cleanup import PENDING_UPLOAD_MAX_AGE, attachments_cleanup


class Command(BaseCommand):
    help = (
        "Remove uploads still pending after a day (the stored object and the row), and stored objects that "
        "old which no attachment refers to. Safe to run from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=int,
            default=int(PENDING_UPLOAD_MAX_AGE.total_seconds() // 3600),
            help="Age in hours after which a pending upload is abandoned (default: 24).",
        )

    def handle(self, *args, hours: int, **options):
        result = attachments_cleanup(max_age=timedelta(hours=hours))
        self.stdout.write(
            f"{result.pending_removed} pending upload(s) removed, {result.orphans_removed} orphaned object(s) removed"
        )
