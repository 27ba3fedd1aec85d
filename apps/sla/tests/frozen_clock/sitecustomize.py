"""Loaded at start-up by every Python child process whose PYTHONPATH puts this folder first (see
apps.sla.tests.workers): Django's `timezone.now()` then reads the instant written in the file
SLA_TEST_CLOCK_FILE names, so a test moves time for real `db_worker` processes by rewriting it.
Everything that asks Django for the time — the worker choosing due jobs (`run_after <= now`), the
jobs, `auto_now` fields — sees the same frozen instant; sleeping and timeouts keep real time."""

import os
from datetime import datetime

_clock_file = os.environ.get("SLA_TEST_CLOCK_FILE")

if _clock_file:
    import django.utils.timezone

    def _frozen_now() -> datetime:
        with open(_clock_file) as handle:
            return datetime.fromisoformat(handle.read().strip())

    django.utils.timezone.now = _frozen_now
