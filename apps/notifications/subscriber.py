"""The after-commit subscriber (registered in apps.py): events in, notifications out.

Derivation runs inline, in the process that committed the change, right after the commit. Why
not a job: the live `notification.created` must reach the recipients' sockets, and under
`make run` (one process, in-memory channel layer) only the web process can reach them; a job
would also add the worker's polling delay to every bell. The cost is a fixed number of queries
per event (docs/notifications.md has the figures); email, the slow part, is a job.
"""

import logging

from apps.core.events import DomainEvent
from apps.notifications import rules
from apps.notifications.services import notifications_deliver
from apps.notifications.tasks import schedule_reminder

logger = logging.getLogger(__name__)


def on_domain_event(event: DomainEvent) -> None:
    if event.name not in rules.RULES:
        return
    notifications_deliver(rules.derive(event))
    if event.name == "approval.requested":
        schedule_reminder(event.data["step"]["id"])
