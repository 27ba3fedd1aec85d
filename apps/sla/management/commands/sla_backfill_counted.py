from django.core.management.base import BaseCommand

from apps.sla.backfill import BACKFILL_BATCH, sla_backfill_all


class Command(BaseCommand):
    help = (
        "Compute the business time counted by SLA clocks that stopped before clocks stored it "
        "(migration sla/0002), in batches of tickets, one transaction each. Safe to run again: "
        "a run with nothing to do costs one query."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=BACKFILL_BATCH, help="Tickets per transaction.")

    def handle(self, *args, batch: int, **options):
        visited = sla_backfill_all(batch=max(1, batch))
        self.stdout.write(f"{visited} ticket(s) with stopped clocks backfilled")
