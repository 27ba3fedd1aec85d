"""Approval reminders: scheduled with run_after when a step opens, run by a real db_worker process.

Time is controlled by moving the past, not the clock: "a day passes" is the step's opened_at and
the reminder job's run_after moved a day back, then the worker runs what is due now.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from apps.approvals import services as approvals
from apps.approvals.models import RequestStep
from apps.approvals.tests.factories import make_workflow
from apps.core.testing.workers import drain_queue
from apps.notifications.models import Notification
from apps.notifications.tasks import approval_remind

pytestmark = pytest.mark.django_db(transaction=True)

DAY = timedelta(hours=24)


@pytest.fixture(autouse=True)
def interval(settings):
    settings.APPROVAL_REMINDER_HOURS = 24
    settings.APPROVAL_REMINDER_INTERVAL = DAY


def reminder_jobs(status=TaskResultStatus.READY):
    return list(DBTaskResult.objects.filter(task_path=approval_remind.module_path, status=status).order_by("run_after"))


def time_passes(step: RequestStep, by: timedelta) -> None:
    """The step opened `by` earlier, and every reminder job became due `by` earlier."""
    RequestStep.objects.filter(pk=step.pk).update(opened_at=step.opened_at - by)
    step.refresh_from_db()
    for job in reminder_jobs():
        DBTaskResult.objects.filter(pk=job.pk).update(run_after=job.run_after - by)


def reminded() -> dict[str, int]:
    rows = Notification.objects.filter(kind="approval_reminder").values_list("recipient__username", flat=True)
    counts: dict[str, int] = {}
    for name in rows:
        counts[name] = counts.get(name, 0) + 1
    return counts


def start(cast, *approvers, rule="all"):
    workflow = make_workflow({"users": list(approvers or [cast.approver]), "rule": rule})
    approval = approvals.approval_start(actor=cast.actor, ticket_id=cast.ticket.pk, workflow_id=workflow.pk)
    return approval, approval.steps.get(order=1)


def test_the_first_reminder_is_scheduled_when_the_step_opens(cast):
    _, step = start(cast)
    [job] = reminder_jobs()
    assert job.run_after == step.opened_at + DAY
    assert job.args_kwargs["kwargs"] == {"step_id": step.pk, "round": 1}


def test_reminders_fire_at_the_scheduled_time_once_per_interval_and_stop_after_a_decision(cast):
    approval, step = start(cast)
    drain_queue()
    assert reminded() == {}, "not a day yet"

    time_passes(step, DAY + timedelta(seconds=1))
    drain_queue()
    assert reminded() == {"approver": 1, "delegate": 1}
    text = Notification.objects.get(kind="approval_reminder", recipient=cast.approver).message
    assert (
        text == f"Reminder: {cast.ticket.key} “VPN down” still waits for your approval (step “Step 1”, asked 24 h ago)"
    )
    [following] = reminder_jobs()
    assert following.run_after == step.opened_at + 2 * DAY
    assert following.args_kwargs["kwargs"]["round"] == 2

    drain_queue()  # the second round is not due yet
    assert reminded() == {"approver": 1, "delegate": 1}
    time_passes(step, DAY)
    drain_queue()
    assert reminded() == {"approver": 2, "delegate": 2}

    approvals.approval_decide(actor=cast.approver, approval_id=approval.pk, decision="approve")
    time_passes(step, DAY)
    drain_queue()
    assert reminded() == {"approver": 2, "delegate": 2}
    assert reminder_jobs() == [], "the chain ends with the decision"
    [last] = reminder_jobs(TaskResultStatus.SUCCESSFUL)[-1:]
    assert last.return_value == "no longer pending"


def test_a_cancelled_request_sends_no_reminder(cast):
    approval, step = start(cast)
    approvals.approval_cancel(actor=cast.actor, approval_id=approval.pk)
    time_passes(step, DAY + timedelta(seconds=1))
    drain_queue()
    assert reminded() == {}


def test_only_approvers_who_have_not_decided_are_reminded(cast):
    approval, step = start(cast, cast.approver, cast.stranger, rule="all")
    approvals.approval_decide(actor=cast.stranger, approval_id=approval.pk, decision="approve")
    time_passes(step, DAY + timedelta(seconds=1))
    drain_queue()
    assert reminded() == {"approver": 1, "delegate": 1}


def test_the_same_round_twice_reminds_once(cast):
    _, step = start(cast)
    time_passes(step, DAY + timedelta(seconds=1))
    approval_remind.enqueue(step_id=step.pk, round=1)
    drain_queue()
    assert reminded() == {"approver": 1, "delegate": 1}
    outcomes = sorted(r.return_value for r in reminder_jobs(TaskResultStatus.SUCCESSFUL))
    assert outcomes == ["already reminded", "reminded 2"]
    assert len(reminder_jobs()) == 1, "one next round, not two"


def test_after_the_workers_were_down_reminders_resume_on_the_interval_without_a_burst(cast):
    _, step = start(cast)
    time_passes(step, 5 * DAY + timedelta(hours=1))
    drain_queue()
    assert reminded() == {"approver": 1, "delegate": 1}
    [following] = reminder_jobs()
    assert following.args_kwargs["kwargs"]["round"] == 6
    assert following.run_after == step.opened_at + 6 * DAY
    assert following.run_after > timezone.now()


def test_a_job_that_runs_early_does_nothing(cast):
    _, step = start(cast)
    approval_remind.enqueue(step_id=step.pk, round=1)  # e.g. "run again" in the admin, too soon
    drain_queue()
    assert reminded() == {}
