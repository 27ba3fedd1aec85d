from datetime import timedelta

from django.core.management.base import BaseCommand

from apps.attachments.services import PENDING_UPLOAD_MAX_AGE, attachments_cleanup


class Command(BaseCommand):
    help = "Remove uploads still pending after a day (the stored object and the row). Safe to run from cron."

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours", type=int, default=int(PENDING_UPLOAD_MAX_AGE.total_seconds() // 3600),
            help="Age in hours after which a pending upload is abandoned (default: 24).",
        )

    def handle(self, *args, hours: int, **options):
        removed = attachments_cleanup(max_age=timedelta(hours=hours))
        self.stdout.write(f"{removed} pending upload(s) removed")
