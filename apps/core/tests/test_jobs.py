"""The shared job plumbing (apps.core.jobs) run by real `manage.py db_worker` processes."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from apps.accounts.models import User
from apps.core.jobs import ATTEMPT_KWARG, claim_once, queue_health, retry_delay
from apps.core.testing.markers import requires_postgres
from apps.core.testing.workers import drain_queue, running_worker, wait_until
from apps.core.tests import sample_jobs

pytestmark = pytest.mark.django_db(transaction=True)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def results(task) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=task.module_path).order_by("enqueued_at"))


def test_a_worker_process_runs_what_the_test_enqueued(tmp_path):
    target = tmp_path / "out"
    sample_jobs.record.enqueue(str(target), "hello")
    drain_queue()
    assert lines(target) == ["hello"]
    [result] = results(sample_jobs.record)
    assert result.status == TaskResultStatus.SUCCESSFUL


def test_a_job_waits_for_its_run_after(tmp_path):
    target = tmp_path / "out"
    sample_jobs.record.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(str(target), "later")
    drain_queue()
    assert lines(target) == []
    assert results(sample_jobs.record)[0].status == TaskResultStatus.READY
    # Time passes: the job's moment has come.
    DBTaskResult.objects.update(run_after=timezone.now() - timedelta(seconds=1))
    drain_queue()
    assert lines(target) == ["later"]


def test_retry_delay_doubles_with_jitter_and_is_capped(settings):
    settings.JOB_RETRY_BASE_SECONDS = 30
    for attempt, nominal in [(1, 30), (2, 60), (3, 120), (5, 480)]:
        seconds = retry_delay(attempt).total_seconds()
        assert nominal * 0.8 <= seconds <= nominal * 1.2
    assert retry_delay(20).total_seconds() <= 3600 * 1.2


def test_a_transient_failure_is_retried_later_with_backoff_then_succeeds(tmp_path):
    target = tmp_path / "out"
    down = Path(str(target) + ".down")
    down.touch()
    sample_jobs.flaky.enqueue(str(target))
    before = timezone.now()
    drain_queue({"JOB_RETRY_BASE_SECONDS": "60"})

    first, retry = results(sample_jobs.flaky)
    assert first.status == TaskResultStatus.SUCCESSFUL
    assert first.return_value["outcome"] == "retry_scheduled"
    assert retry.status == TaskResultStatus.READY
    assert retry.args_kwargs["kwargs"][ATTEMPT_KWARG] == 2
    assert before + timedelta(seconds=48) <= retry.run_after <= timezone.now() + timedelta(seconds=72)
    assert lines(target) == []

    # The service comes back; with a 1 s backoff a running worker gets there by itself.
    with running_worker({"JOB_RETRY_BASE_SECONDS": "1"}):
        DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
        wait_until(lambda: len(lines(Path(str(target) + ".attempts"))) >= 2, message="the second attempt")
        down.unlink()
        wait_until(lambda: lines(target) == ["delivered"], message="delivery after the service came back")
    assert not Path(str(target) + ".gave-up").exists()


def test_the_last_attempt_fails_for_good_visibly_and_calls_on_give_up(tmp_path, caplog):
    target = tmp_path / "out"
    Path(str(target) + ".down").touch()
    sample_jobs.flaky.enqueue(str(target))
    env = {"JOB_MAX_ATTEMPTS": "2", "JOB_RETRY_BASE_SECONDS": "1"}
    output = drain_queue(env)
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())
    output += drain_queue(env)

    first, last = results(sample_jobs.flaky)
    assert first.status == TaskResultStatus.SUCCESSFUL
    assert last.status == TaskResultStatus.FAILED
    assert last.exception_class_path == "apps.core.jobs.TransientError"
    assert "the service is down" in last.traceback
    assert "failed for good after 2 attempt(s)" in output
    assert lines(Path(str(target) + ".gave-up")) == ["TransientError: the service is down"]
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 0


def test_a_bug_is_not_retried(tmp_path):
    target = tmp_path / "out"
    sample_jobs.broken.enqueue(str(target))
    drain_queue()
    [result] = results(sample_jobs.broken)
    assert result.status == TaskResultStatus.FAILED
    assert result.exception_class_path == "builtins.ValueError"
    assert lines(Path(str(target) + ".gave-up")) == ["ValueError: a bug"]


def test_claim_once_makes_a_job_idempotent(tmp_path):
    target = tmp_path / "out"
    for _ in range(3):
        sample_jobs.once.enqueue(str(target), "reminder:1:1")
    drain_queue()
    assert lines(target) == ["reminder:1:1"]
    assert [r.return_value for r in results(sample_jobs.once)] == [True, False, False]


def test_claim_once_rolls_back_with_the_job():
    with pytest.raises(RuntimeError, match="rolled back"), transaction.atomic():
        assert claim_once("k")
        raise RuntimeError("rolled back")
    with transaction.atomic():
        assert claim_once("k")
        assert not claim_once("k")
    with pytest.raises(RuntimeError, match="transaction"):
        claim_once("outside")


@requires_postgres
def test_two_workers_never_run_one_job_twice(tmp_path):
    target = tmp_path / "out"
    with running_worker(interval=0.01) as first, running_worker(interval=0.01) as second:
        # Both must be polling before the queue fills; a loaded machine may take seconds to start one.
        wait_until(lambda: all("Starting worker" in w.log() for w in (first, second)), message="both started")
        for n in range(40):
            sample_jobs.record_slowly.enqueue(str(target), f"job {n}")
        wait_until(lambda: len(lines(target)) >= 40, message="40 jobs")
        wait_until(
            lambda: not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists(),
            message="all results written",
        )
    assert sorted(lines(target)) == sorted(f"job {n}" for n in range(40))
    workers = {result.worker_ids[0] for result in results(sample_jobs.record_slowly)}
    assert all(len(result.worker_ids) == 1 for result in results(sample_jobs.record_slowly))
    assert len(workers) == 2, "both workers took jobs"


def test_queue_health_reports_the_oldest_waiting_job(settings):
    settings.JOB_QUEUE_MAX_WAIT_SECONDS = 300
    assert queue_health() | {"failed_last_day": 0} == {
        "ok": True,
        "waiting": 0,
        "oldest_wait_seconds": 0.0,
        "max_wait_seconds": 300,
        "failed_last_day": 0,
    }
    sample_jobs.record.enqueue("/dev/null", "x")
    sample_jobs.record.using(run_after=timezone.now() + timedelta(hours=1)).enqueue("/dev/null", "not due")
    assert queue_health()["waiting"] == 1
    assert queue_health()["ok"] is True

    DBTaskResult.objects.filter(run_after__gt=timezone.now() + timedelta(days=365)).update(
        enqueued_at=timezone.now() - timedelta(minutes=10)
    )
    report = queue_health()
    assert report["ok"] is False
    assert 600 <= report["oldest_wait_seconds"] < 700

    # /health: degraded, yet 200, since this process still serves requests.
    response = Client().get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["queue"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_a_deferred_job_waits_from_its_run_after_not_from_when_it_was_enqueued():
    sample_jobs.record.using(run_after=timezone.now() - timedelta(seconds=30)).enqueue("/dev/null", "x")
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(days=2))
    assert 25 <= queue_health()["oldest_wait_seconds"] < 60


def test_the_admin_lists_jobs_and_runs_a_failed_one_again(tmp_path):
    target = tmp_path / "out"
    sample_jobs.broken.enqueue(str(target))
    sample_jobs.record.enqueue(str(target), "all-is-well")
    drain_queue()
    admin = User.objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(admin)

    page = client.get("/admin/django_tasks_database/dbtaskresult/?status__exact=FAILED")
    assert page.status_code == 200
    content = page.content.decode()
    assert "broken" in content and "ValueError" in content
    assert "all-is-well" not in content
    assert "all-is-well" in client.get("/admin/django_tasks_database/dbtaskresult/").content.decode()

    failed = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    detail = client.get(f"/admin/django_tasks_database/dbtaskresult/{failed.pk}/change/")
    assert detail.status_code == 200
    assert "a bug" in detail.content.decode()

    response = client.post(
        "/admin/django_tasks_database/dbtaskresult/",
        {"action": "run_again", "_selected_action": [str(failed.pk)]},
    )
    assert response.status_code == 302
    again = DBTaskResult.objects.filter(task_path=sample_jobs.broken.module_path, status=TaskResultStatus.READY)
    assert again.count() == 1
    assert again.get().args_kwargs == {"args": [str(target)], "kwargs": {}}
