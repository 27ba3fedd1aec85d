"""Background jobs of notifications: sending emails, reminding approvers (run by db_worker)."""

import math

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.approvals.models import ApprovalDecision, StepApprover
from apps.core.jobs import TransientError, claim_once, job
from apps.notifications import emails, rules
from apps.notifications.kinds import Kind
from apps.notifications.services import notifications_deliver


def _emails_given_up(exc: BaseException, email_ids: list[int], **kwargs) -> None:
    emails.emails_failed(email_ids)


@job(on_give_up=_emails_given_up)
def send_emails(email_ids: list[int]) -> dict[str, list[int]]:
    """Sends each email that is still pending (run at the end of its coalescing window).

    Idempotent: an email already sent or being sent elsewhere is skipped. When the SMTP server
    fails for some, the others still go; then the job is retried for all (the sent ones are
    skipped then) until JOB_MAX_ATTEMPTS, after which the unsent ones are marked failed.
    """
    outcome: dict[str, list[int]] = {}
    failures = []
    for email_id in email_ids:
        try:
            result = emails.send_email(email_id)
        except TransientError as exc:
            failures.append(str(exc))
            result = "retry"
        outcome.setdefault(result, []).append(email_id)
    if failures:
        raise TransientError("; ".join(failures))
    return outcome


def schedule_reminder(step_id: int) -> None:
    """When a step opens: its first reminder, APPROVAL_REMINDER_HOURS after it opened."""
    step = rules.open_step(step_id)
    if step is not None:
        approval_remind.using(run_after=step.opened_at + settings.APPROVAL_REMINDER_INTERVAL).enqueue(
            step_id=step.pk, round=1
        )


@job
def approval_remind(step_id: int, round: int) -> str:
    """Reminds the approvers of a step who haven't decided (and their active delegates), then
    schedules the next round one interval later. Does nothing once the step or its request is no
    longer pending (decided or cancelled) — so reminders stop there — or if this round already ran.
    """
    interval = settings.APPROVAL_REMINDER_INTERVAL
    with transaction.atomic():
        step = rules.open_step(step_id)
        if step is None:
            return "no longer pending"
        due = step.opened_at + round * interval
        if timezone.now() < due:
            return "not due yet"
        if not claim_once(f"approval_reminder:{step_id}:{round}"):
            return "already reminded"
        ticket = rules.ticket_of(step)
        decided = ApprovalDecision.objects.filter(step=step).values("approver_id")
        waiting = StepApprover.objects.filter(step=step).exclude(user_id__in=decided).values_list("user_id", flat=True)
        hours = round * interval.total_seconds() / 3600
        planned = rules.approver_messages(
            ticket,
            step,
            waiting,
            event_actor_id=None,
            kind=Kind.APPROVAL_REMINDER,
            own_text=f"Reminder: {rules.ref(ticket)} still waits for your approval "
            f"(step “{step.name}”, asked {hours:g} h ago)",
            key=f"approval.reminder:{step_id}:{round}",
        )
        notifications_deliver(planned)
        # One reminder per interval; after a pause (workers down) resume on the interval grid, no burst.
        elapsed = (timezone.now() - step.opened_at) / interval
        following = max(round + 1, math.floor(elapsed) + 1)
        approval_remind.using(run_after=step.opened_at + following * interval).enqueue(step_id=step_id, round=following)
    return f"reminded {len(planned)}"
