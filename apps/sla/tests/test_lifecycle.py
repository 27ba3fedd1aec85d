"""Clock lifecycle through the real services and their after-commit events, with time frozen."""

from datetime import timedelta

import pytest

from apps.comments.services import comment_create
from apps.sla import services as sla_services
from apps.sla.models import SlaClock, TicketSla
from apps.sla.sync import sla_sync_ticket
from apps.tickets import services as tickets
from apps.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def clocks_of(ticket) -> dict[str, SlaClock]:
    return {clock.kind: clock for clock in SlaClock.objects.filter(ticket_sla_id=ticket.pk)}


def sla_of(ticket) -> dict:
    return Ticket.objects.get(pk=ticket.pk).sla


def activity(ticket) -> list[tuple[str, str]]:
    rows = TicketEvent.objects.filter(ticket=ticket, kind__startswith="sla_").order_by("id")
    return [(row.kind, row.new["clock"]) for row in rows]


@pytest.fixture
def opened(clock, run_on_commit, requester, agent, standard_policy):
    """A ticket raised at 08:00, with the standard policy (60 / 240 minutes, 24/7)."""
    return run_on_commit(tickets.ticket_create, actor=requester, title="Printer on fire")


def test_creating_a_ticket_starts_both_clocks(clock, opened):
    start = clock.now
    clocks = clocks_of(opened)
    assert clocks["first_response"].due_at == start + timedelta(minutes=60)
    assert clocks["first_response"].warning_at == start + timedelta(minutes=45)
    assert clocks["resolution"].due_at == start + timedelta(minutes=240)
    ticket = Ticket.objects.get(pk=opened.pk)
    assert ticket.sla == {
        "policy": "Standard",
        "first_response": {
            "due_at": iso(start + timedelta(minutes=60)),
            "state": "running",
            "breached_at": None,
            "warning_at": iso(start + timedelta(minutes=45)),
            "stopped_at": None,
            "remaining_minutes": None,
        },
        "resolution": {
            "due_at": iso(start + timedelta(minutes=240)),
            "state": "running",
            "breached_at": None,
            "warning_at": iso(start + timedelta(minutes=180)),
            "stopped_at": None,
            "remaining_minutes": None,
        },
    }
    assert ticket.sla_due == start + timedelta(minutes=60)
    assert ticket.sla_warning_at == start + timedelta(minutes=45)
    assert ticket.sla_breached is False
    assert activity(opened) == [("sla_started", "first_response"), ("sla_started", "resolution")]


def test_a_pause_stops_the_clocks_and_resuming_shifts_the_due_time(clock, run_on_commit, opened, agent):
    start = clock.now
    clock.advance(minutes=10)
    run_on_commit(tickets.ticket_transition, actor=agent, ticket_id=opened.pk, status="on_hold")
    paused = sla_of(opened)
    assert paused["first_response"]["state"] == "paused"
    assert paused["first_response"]["due_at"] is None
    assert paused["first_response"]["remaining_minutes"] == 50
    assert paused["resolution"]["remaining_minutes"] == 230
    assert Ticket.objects.get(pk=opened.pk).sla_due is None

    clock.advance(minutes=30)
    run_on_commit(tickets.ticket_transition, actor=agent, ticket_id=opened.pk, status="open")
    clocks = clocks_of(opened)
    assert clocks["first_response"].due_at == start + timedelta(minutes=90)
    assert clocks["resolution"].due_at == start + timedelta(minutes=270)
    assert clocks["first_response"].state == "running"
    history = [e.kind for e in clocks["resolution"].history.order_by("at", "id")]
    assert history == ["started", "paused", "resumed"]
    assert ("sla_paused", "resolution") in activity(opened)
    assert ("sla_resumed", "first_response") in activity(opened)


def test_pending_approval_pauses_by_default_and_a_policy_may_pause_on_other_statuses(
    clock, run_on_commit, requester, agent, admin_user, calendar_24_7
):
    sla_services.policy_create(
        actor=admin_user,
        name="Waiting counts",
        calendar_id=calendar_24_7.pk,
        first_response_minutes=60,
        resolution_minutes=240,
        pause_statuses=["in_progress"],
    )
    ticket = run_on_commit(tickets.ticket_create, actor=requester, title="VPN")
    clock.advance(minutes=5)
    run_on_commit(tickets.ticket_transition, actor=agent, ticket_id=ticket.pk, status="on_hold")
    assert sla_of(ticket)["resolution"]["state"] == "running"  # on_hold is not in this policy's list
    run_on_commit(tickets.ticket_transition, actor=agent, ticket_id=ticket.pk, status="in_progress")
    assert sla_of(ticket)["resolution"]["state"] == "paused"


def test_a_priority_change_retargets_from_the_original_start(clock, run_on_commit, opened, agent, admin_user):
    start = clock.now
    sla_services.policy_create(
        actor=admin_user,
        name="Urgent",
        order=1,
        priority="urgent",
        calendar_id=TicketSla.objects.get(pk=opened.pk).calendar_id,
        first_response_minutes=15,
        resolution_minutes=60,
    )
    clock.advance(minutes=5)
    run_on_commit(tickets.ticket_update, actor=agent, ticket_id=opened.pk, version=1, changes={"priority": "urgent"})
    clocks = clocks_of(opened)
    assert clocks["first_response"].due_at == start + timedelta(minutes=15)
    assert clocks["resolution"].due_at == start + timedelta(minutes=60)
    assert sla_of(opened)["policy"] == "Urgent"
    assert ("sla_retargeted", "resolution") in activity(opened)
    # Back to normal: the standard policy again, still from 08:00.
    run_on_commit(tickets.ticket_update, actor=agent, ticket_id=opened.pk, version=2, changes={"priority": "normal"})
    assert clocks_of(opened)["resolution"].due_at == start + timedelta(minutes=240)


def test_only_a_public_comment_by_staff_is_the_first_response(clock, run_on_commit, opened, agent, requester):
    clock.advance(minutes=3)
    run_on_commit(comment_create, actor=agent, ticket_id=opened.pk, body="Looking into it", internal=True)
    run_on_commit(comment_create, actor=requester, ticket_id=opened.pk, body="Any news?")
    assert sla_of(opened)["first_response"]["state"] == "running"
    clock.advance(minutes=7)
    run_on_commit(comment_create, actor=agent, ticket_id=opened.pk, body="On my way with an extinguisher")
    first = sla_of(opened)["first_response"]
    assert first["state"] == "met"
    assert first["stopped_at"] == iso(clock.now)
    assert sla_of(opened)["resolution"]["state"] == "running"
    assert ("sla_met", "first_response") in activity(opened)


def test_resolving_stops_resolution_and_a_reopen_resumes_it(clock, run_on_commit, opened, agent, requester):
    start = clock.now
    clock.advance(minutes=30)
    run_on_commit(tickets.ticket_transition, actor=agent, ticket_id=opened.pk, status="resolved")
    sla = sla_of(opened)
    assert sla["resolution"]["state"] == "met"
    assert sla["first_response"]["state"] == "met"  # resolved without a reply: the answer was the resolution
    assert Ticket.objects.get(pk=opened.pk).sla_due is None

    clock.advance(minutes=70)
    run_on_commit(tickets.ticket_transition, actor=requester, ticket_id=opened.pk, status="open")
    clocks = clocks_of(opened)
    assert clocks["resolution"].state == "running"
    assert clocks["resolution"].due_at == start + timedelta(minutes=240 + 70)
    assert clocks["first_response"].state == "met"  # first response never restarts
    assert ("sla_reopened", "resolution") in activity(opened)


def test_a_stopped_clock_stores_the_business_time_it_counted(clock, run_on_commit, opened, agent, requester):
    clock.advance(minutes=10)
    run_on_commit(tickets.ticket_transition, actor=agent, ticket_id=opened.pk, status="on_hold")
    clock.advance(minutes=30)
    run_on_commit(tickets.ticket_transition, actor=agent, ticket_id=opened.pk, status="in_progress")
    assert clocks_of(opened)["first_response"].counted_seconds is None  # running
    clock.advance(minutes=5, seconds=30)
    run_on_commit(comment_create, actor=agent, ticket_id=opened.pk, body="On it")
    assert clocks_of(opened)["first_response"].counted_seconds == (10 + 5) * 60 + 30  # the hold left out
    clock.advance(minutes=20)
    run_on_commit(tickets.ticket_transition, actor=agent, ticket_id=opened.pk, status="resolved")
    resolved_at = clock.now
    assert clocks_of(opened)["resolution"].counted_seconds == (10 + 5 + 20) * 60 + 30
    # Reopened for 60 minutes: running again (no value), then 15 more minutes counted.
    clock.advance(minutes=60)
    run_on_commit(tickets.ticket_transition, actor=requester, ticket_id=opened.pk, status="open")
    assert clocks_of(opened)["resolution"].counted_seconds is None
    clock.advance(minutes=15)
    run_on_commit(tickets.ticket_transition, actor=agent, ticket_id=opened.pk, status="resolved")
    resolved_at = clock.now
    assert clocks_of(opened)["resolution"].counted_seconds == (10 + 5 + 20 + 15) * 60 + 30
    # Closing the resolved ticket doesn't move the resolution's stop.
    clock.advance(minutes=45)
    run_on_commit(tickets.ticket_transition, actor=agent, ticket_id=opened.pk, status="closed")
    resolution = clocks_of(opened)["resolution"]
    assert resolution.stopped_at == resolved_at
    assert resolution.counted_seconds == (10 + 5 + 20 + 15) * 60 + 30


def test_policy_edits_and_deletion_leave_running_clocks_alone(
    clock, run_on_commit, opened, agent, admin_user, standard_policy
):
    start = clock.now
    sla_services.policy_update(
        actor=admin_user, policy_id=standard_policy.pk, changes={"first_response_minutes": 5, "resolution_minutes": 10}
    )
    clock.advance(minutes=1)
    run_on_commit(tickets.ticket_transition, actor=agent, ticket_id=opened.pk, status="in_progress")
    assert clocks_of(opened)["resolution"].due_at == start + timedelta(minutes=240)

    sla_services.policy_delete(actor=admin_user, policy_id=standard_policy.pk)
    clock.advance(minutes=10)
    run_on_commit(tickets.ticket_transition, actor=agent, ticket_id=opened.pk, status="on_hold")
    clock.advance(minutes=10)
    run_on_commit(tickets.ticket_transition, actor=agent, ticket_id=opened.pk, status="in_progress")
    assert clocks_of(opened)["resolution"].due_at == start + timedelta(minutes=250)
    assert sla_of(opened)["policy"] == "Standard"
    # A new ticket matches nothing now.
    fresh = run_on_commit(tickets.ticket_create, actor=agent, title="Another")
    assert sla_of(fresh) is None


def test_a_ticket_that_starts_matching_counts_from_its_creation(
    clock, run_on_commit, requester, agent, team, admin_user, calendar_24_7
):
    sla_services.policy_create(
        actor=admin_user,
        name="Desk only",
        team_id=team.pk,
        calendar_id=calendar_24_7.pk,
        first_response_minutes=60,
        resolution_minutes=480,
    )
    start = clock.now
    ticket = run_on_commit(tickets.ticket_create, actor=requester, title="Untriaged")
    assert sla_of(ticket) is None
    clock.advance(minutes=20)
    run_on_commit(tickets.ticket_update, actor=agent, ticket_id=ticket.pk, version=1, changes={"team_id": team.pk})
    assert clocks_of(ticket)["first_response"].due_at == start + timedelta(minutes=60)
    # Moved out of the team again: no policy matches, the SLA is removed (the activity log keeps it).
    run_on_commit(tickets.ticket_update, actor=agent, ticket_id=ticket.pk, version=2, changes={"team_id": None})
    assert sla_of(ticket) is None
    assert not TicketSla.objects.filter(pk=ticket.pk).exists()
    assert ("sla_removed", "resolution") in activity(ticket)


def test_warning_and_breach_are_stamped_once_with_their_events(
    clock, run_on_commit, opened, django_capture_on_commit_callbacks
):
    from apps.core import events

    seen = []
    events.subscribe(seen.append)
    try:
        start = clock.now
        clock.advance(minutes=46)
        with django_capture_on_commit_callbacks(execute=True):
            sla_sync_ticket(ticket_id=opened.pk)
        with django_capture_on_commit_callbacks(execute=True):
            sla_sync_ticket(ticket_id=opened.pk)  # again: nothing new
        clock.advance(minutes=15)
        with django_capture_on_commit_callbacks(execute=True):
            sla_sync_ticket(ticket_id=opened.pk)
            sla_sync_ticket(ticket_id=opened.pk)
    finally:
        events._subscribers.remove(seen.append)
    fired = [(e.name, e.data["clock"]) for e in seen if e.name in ("ticket.sla_warning", "ticket.sla_breached")]
    assert fired == [("ticket.sla_warning", "first_response"), ("ticket.sla_breached", "first_response")]
    breached = next(e for e in seen if e.name == "ticket.sla_breached")
    assert breached.data["breached_at"] == iso(start + timedelta(minutes=60))
    assert breached.data["policy"] == "Standard"
    assert breached.data["actor_id"] is None
    assert breached.data["ticket"]["id"] == opened.pk
    assert set(breached.topics) == {"tickets", f"ticket:{opened.pk}"}
    ticket = Ticket.objects.get(pk=opened.pk)
    assert ticket.sla_breached is True
    assert ticket.sla["first_response"]["state"] == "breached"
    assert ticket.sla_warning_at == start + timedelta(minutes=180)  # the resolution clock's
    assert [kind for kind, _ in activity(opened)].count("sla_breached") == 1


def test_a_crash_before_the_subscriber_is_caught_up_from_the_log(clock, requester, agent, standard_policy):
    """No after-commit callbacks here (as if the process died at the commit): the backstop job does it."""
    from django_tasks_db.models import DBTaskResult

    start = clock.now
    ticket = tickets.ticket_create(actor=requester, title="Lost event")
    clock.advance(minutes=10)
    tickets.ticket_transition(actor=agent, ticket_id=ticket.pk, status="on_hold")
    clock.advance(minutes=20)
    tickets.ticket_transition(actor=agent, ticket_id=ticket.pk, status="open")
    assert not TicketSla.objects.filter(pk=ticket.pk).exists()
    jobs = DBTaskResult.objects.filter(task_path="apps.sla.tasks.sla_check")
    assert jobs.count() == 3  # one per change, committed with it
    job = jobs.first()
    assert job.run_after >= start + timedelta(seconds=60)
    clock.advance(minutes=1)
    job.task.call(*job.args_kwargs["args"], **job.args_kwargs["kwargs"])
    assert clocks_of(ticket)["resolution"].due_at == start + timedelta(minutes=260)


def test_a_calendar_change_recalculates_open_clocks_in_background_batches(
    clock, run_on_commit, opened, admin_user, calendar_24_7, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from apps.core import events

    start = clock.now
    sla_services.calendar_update(actor=admin_user, calendar_id=calendar_24_7.pk, changes={"holidays": ["2026-03-02"]})
    [job] = DBTaskResult.objects.filter(task_path="apps.sla.tasks.sla_recalculate_calendar")
    seen = []
    events.subscribe(seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            recomputed = job.task.call(*job.args_kwargs["args"], **job.args_kwargs["kwargs"])
    finally:
        events._subscribers.remove(seen.append)
    assert recomputed == 1
    # The whole day is now a holiday: counting starts at midnight.
    next_midnight = start.replace(hour=0) + timedelta(days=1)
    clocks = clocks_of(opened)
    assert clocks["first_response"].due_at == next_midnight + timedelta(minutes=60)
    assert clocks["resolution"].due_at == next_midnight + timedelta(minutes=240)
    assert ("sla_recalculated", "resolution") in activity(opened)
    assert [(e.name, e.data["tickets"]) for e in seen] == [("sla.recalculated", 1)]
    # Renaming moves no business time: nothing to recompute.
    sla_services.calendar_update(actor=admin_user, calendar_id=calendar_24_7.pk, changes={"name": "Renamed"})
    assert DBTaskResult.objects.filter(task_path="apps.sla.tasks.sla_recalculate_calendar").count() == 1


def test_the_batch_path_agrees_with_the_one_by_one_path(clock, run_on_commit, requester, agent, standard_policy):
    """sla_sync_tickets (recalculations, backfills) reads and writes in bulk; same rules, same results."""
    from apps.sla.sync import sla_sync_tickets

    made = []
    for n in range(4):
        made.append(run_on_commit(tickets.ticket_create, actor=requester, title=f"Batch {n}"))
        clock.advance(minutes=7)
    run_on_commit(tickets.ticket_transition, actor=agent, ticket_id=made[1].pk, status="on_hold")
    run_on_commit(comment_create, actor=agent, ticket_id=made[2].pk, body="Hello")
    clock.advance(minutes=50)  # made[0]'s first response is now past due: the batch hands it over to fire
    for ticket in made:
        run_on_commit(sla_sync_ticket, ticket_id=ticket.pk)

    def state():
        rows = {}
        for ticket in made:
            fresh = Ticket.objects.get(pk=ticket.pk)
            clocks = {
                k: (c.state, c.due_at, c.warning_at, c.paused_at, c.stopped_at, c.breached_at)
                for k, c in clocks_of(ticket).items()
            }
            rows[ticket.pk] = (fresh.sla, fresh.sla_due, fresh.sla_warning_at, fresh.sla_breached, clocks)
        return rows

    one_by_one = state()
    TicketSla.objects.filter(pk__in=[t.pk for t in made]).delete()
    Ticket.objects.filter(pk__in=[t.pk for t in made]).update(
        sla=None, sla_due=None, sla_warning_at=None, sla_breached=False
    )
    assert sla_sync_tickets(ticket_ids=[t.pk for t in made]) == 4
    assert state() == one_by_one
    assert ("sla_started", "first_response") in activity(made[3])
