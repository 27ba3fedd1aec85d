"""The SLA figures and the business-time figures against the hand-built desk of fixtures.py with its
SLA part (`add_sla`): two policies, clocks computed by apps.sla from each ticket's history at NOW.
Period: Berlin days 2026-03-28..30 = [03-27 23:00, 03-30 22:00) UTC. Runs on SQLite and PostgreSQL.

Outcomes (times UTC; "Team A" is 24/7, "Urgent" office hours in Berlin):
  T1  Team A  first response met (23:40 on the 27th, 10 min); resolution breached 07:30 on the 28th
      (stopped 10:00 on the 28th, 10 h 30 counted)
  T2  Team A  first response breached 23:59 on the 28th (answered after 90 min); resolution breached
      06:59 on the 29th, still open
  T3  Team A  first response met (30 min); resolution breached 07:00 on the 29th (20 h 30 counted:
      the 3 h it spent resolved before the reopen are left out)
  T4  Urgent  raised Monday 23:59 CEST: first response due Tuesday 09:30 CEST = 07:30 on the 31st,
      breached after the period, open
  T5  Team A  raised at the period's end: breached at 23:00 on the 30th, after the period, open
  T6  Team A  both breached on the 20th (long before); closed in the period after 9 days counted
  T8  no policy (triage queue)          T7  Urgent, team B: first response met (Sunday, 0 counted);
  S1  Team A  met both (a 1 h pause)        resolution breached Monday 11:00, open
  S2  Team A  paused now: nothing decided
  S3  Urgent  met both across the weekend (20 and 130 business minutes)
"""

from datetime import date, timedelta

import pytest

from apps.reports.periods import report_period
from apps.reports.selectors import dashboard
from apps.reports.tests.fixtures import NOW, PERIOD, add_sla, build_desk
from apps.sla.backfill import sla_backfill_all
from apps.sla.models import SlaClock

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    desk = build_desk()
    add_sla(desk)
    return desk


def figures(user, team=None, **period):
    period = {**PERIOD, **period}
    return dashboard(
        user=user,
        period=report_period(date.fromisoformat(period["from"]), date.fromisoformat(period["to"]), period["tz"]),
        team_id=team,
        now=NOW,
    )


def share(met, breached, percent):
    return {"met": met, "breached": breached, "met_percent": percent}


TEAM_A_ONLY = {
    # Team A: first response met T1 T3 S1, breached T2; resolution met S1, breached T1 T2 T3.
    # Urgent: S3 met both. T4, T5, T6 were decided outside the period; S2 is paused.
    **share(6, 4, 60.0),
    "first_response": share(4, 1, 80.0),
    "resolution": share(2, 3, 40.0),
    "breached_open": 3,  # T2, T4, T5 (S2 paused, T8 without SLA)
    "policies_defined": True,
    "by_policy": [
        {
            "policy": "Team A",
            **share(4, 4, 50.0),
            "first_response": share(3, 1, 75.0),
            "resolution": share(1, 3, 25.0),
        },
        {
            "policy": "Urgent",
            **share(2, 0, 100.0),
            "first_response": share(1, 0, 100.0),
            "resolution": share(1, 0, 100.0),
        },
    ],
}


def test_sla_met_and_breached_per_clock_and_policy(desk):
    assert figures(desk.agent_a)["sla"] == TEAM_A_ONLY


def test_admin_sees_team_b_and_can_filter_on_a_team(desk):
    # T7 adds a met first response and a breached resolution under "Urgent", and is open and breached.
    sla = figures(desk.admin)["sla"]
    assert (sla["met"], sla["breached"], sla["met_percent"], sla["breached_open"]) == (7, 5, 58.3, 4)
    assert sla["by_policy"][1] == {
        "policy": "Urgent",
        **share(3, 1, 75.0),
        "first_response": share(2, 0, 100.0),
        "resolution": share(1, 1, 50.0),
    }
    # Team A alone is what team A's agent sees (the triage queue's T8 has no SLA).
    assert figures(desk.admin, team=desk.team_a.pk)["sla"] == TEAM_A_ONLY
    assert figures(desk.admin, team=desk.team_b.pk)["sla"] == {
        **share(1, 1, 50.0),
        "first_response": share(1, 0, 100.0),
        "resolution": share(0, 1, 0.0),
        "breached_open": 1,
        "policies_defined": True,
        "by_policy": [
            {
                "policy": "Urgent",
                **share(1, 1, 50.0),
                "first_response": share(1, 0, 100.0),
                "resolution": share(0, 1, 0.0),
            }
        ],
    }


def test_a_breach_counts_on_its_due_time_not_when_the_clock_stops(desk):
    # The 20th holds T6's two breaches (first response due 10:00, resolution 17:00), though T6
    # stopped both clocks on the 29th; and T1's breach is on the 28th although it stopped at 10:00 that day.
    sla = figures(desk.agent_a, **{"from": "2026-03-20", "to": "2026-03-20", "tz": "UTC"})["sla"]
    assert (sla["met"], sla["breached"], sla["first_response"], sla["resolution"]) == (
        0,
        2,
        share(0, 1, 0.0),
        share(0, 1, 0.0),
    )
    # The 31st (UTC): T5's resolution (06:00) and T4's first response (07:30); T5's first
    # response breached at 23:00 on the 30th.
    late = figures(desk.agent_a, **{"from": "2026-03-31", "to": "2026-03-31", "tz": "UTC"})["sla"]
    assert (late["first_response"], late["resolution"]) == (share(0, 1, 0.0), share(0, 1, 0.0))


def test_business_time_to_first_response_and_resolution(desk):
    result = figures(desk.agent_a)
    # Counted to the first reply, tickets created in the period: T1 10, T2 90, T3 30, S1 30 (of its
    # 90 minutes, 60 on hold). T4, S2 unanswered, T8 without SLA, S3 created before the period.
    # [10, 30, 30, 90]: median 30, p90 at 2.7 = 30 + 0.7 x 60 = 72.
    assert result["first_response"]["business"] == {"count": 4, "median_minutes": 30.0, "p90_minutes": 72.0}
    # Counted to resolution, tickets finished in the period: S3 130 (of 3910 wall-clock minutes over
    # the weekend), S1 300, T1 630, T3 1230 (reopened: 1410 wall-clock), T6 12960.
    # Median 630; p90 at 3.6 = 1230 + 0.6 x 11730 = 8268.
    assert result["resolution"]["business"] == {"count": 5, "median_minutes": 630.0, "p90_minutes": 8268.0}
    # The wall-clock figures keep every ticket: S3's 3910 minutes and S1's 360 among them.
    assert result["resolution"]["count"] == 5 and result["resolution"]["median_minutes"] == 1410.0
    # The admin also has T7, answered on a Sunday: 0 business minutes. [0, 10, 30, 30, 90]: p90 = 30 + 0.6 x 60.
    admin = figures(desk.admin)
    assert admin["first_response"]["business"] == {"count": 5, "median_minutes": 30.0, "p90_minutes": 66.0}


def test_a_clock_stopped_by_resolving_without_a_reply_is_no_first_response(desk):
    # T6's first-response clock stopped when it was closed, unanswered: in the SLA's met/breached
    # count, not in the time to first response. A period holding T6's creation shows it.
    result = figures(desk.agent_a, **{"from": "2026-03-20", "to": "2026-03-20", "tz": "UTC"})
    assert SlaClock.objects.get(ticket_sla_id=desk.tickets["T6"].pk, kind="first_response").counted_seconds == (
        9 * 24 * 3600
    )
    assert result["first_response"]["business"]["count"] == 0


def test_backfilled_values_equal_what_the_clocks_store(desk):
    stored = dict(SlaClock.objects.filter(stopped_at__isnull=False).values_list("pk", "counted_seconds"))
    assert len(stored) == 12 and None not in stored.values()
    SlaClock.objects.update(counted_seconds=None)
    assert sla_backfill_all(batch=2) == 7  # T1 T2 T3 T6 T7 S1 S3 have a stopped clock
    assert dict(SlaClock.objects.filter(stopped_at__isnull=False).values_list("pk", "counted_seconds")) == stored
    assert SlaClock.objects.filter(stopped_at__isnull=True, counted_seconds__isnull=False).count() == 0
    assert figures(desk.agent_a)["resolution"]["business"]["count"] == 5
    assert sla_backfill_all() == 0


def test_without_policies_the_figures_say_so():
    desk = build_desk()
    sla = figures(desk.admin)["sla"]
    assert sla == {
        **share(0, 0, None),
        "first_response": share(0, 0, None),
        "resolution": share(0, 0, None),
        "breached_open": 0,
        "policies_defined": False,
        "by_policy": [],
    }
    assert figures(desk.admin)["first_response"]["business"] == {
        "count": 0,
        "median_minutes": None,
        "p90_minutes": None,
    }


def test_outcome_moments_are_due_times_and_stops(desk):
    t1 = {clock.kind: clock for clock in SlaClock.objects.filter(ticket_sla_id=desk.tickets["T1"].pk)}
    created = desk.tickets["T1"].created_at
    assert t1["resolution"].breached_at == created + timedelta(hours=8)
    assert t1["first_response"].breached_at is None and t1["first_response"].state == "met"
