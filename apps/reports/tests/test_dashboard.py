"""Every dashboard figure against the hand-built desk in fixtures.py, whose answers are worked out by
hand (in the comments). Runs on SQLite and on PostgreSQL: both must give exactly these numbers."""

from datetime import date

import pytest

from apps.reports.periods import report_period
from apps.reports.selectors import dashboard
from apps.reports.tests.fixtures import NOW, PERIOD, at, build_desk

pytestmark = pytest.mark.django_db

# This desk has no SLA policies, so no business-time figures (test_dashboard_sla.py has them).
NO_SLA = {"business": {"count": 0, "median_minutes": None, "p90_minutes": None}}


@pytest.fixture
def desk():
    return build_desk()


def figures(user, team=None, **period):
    period = {**PERIOD, **period}
    return dashboard(
        user=user,
        period=report_period(date.fromisoformat(period["from"]), date.fromisoformat(period["to"]), period["tz"]),
        team_id=team,
        now=NOW,
    )


def test_created_and_resolved_per_berlin_day_across_the_dst_switch(desk):
    # Berlin days: T1 (23:30 UTC on the 27th) belongs to the 28th, T3 (23:00 UTC on the 28th) to the
    # 29th, T4 (21:59 UTC on the 30th, 23:59 CEST) to the 30th, T5 (22:00 UTC, midnight CEST) to none.
    # Resolved: T1 on the 28th, T6 (closed unresolved) on the 29th, T3 (22:30 UTC on the 29th) on the 30th.
    assert figures(desk.agent_a)["created_vs_resolved"] == [
        {"date": date(2026, 3, 28), "created": 2, "resolved": 1},
        {"date": date(2026, 3, 29), "created": 2, "resolved": 1},
        {"date": date(2026, 3, 30), "created": 1, "resolved": 1},
    ]
    # The admin also sees team B's T7 (the 29th).
    assert [day["created"] for day in figures(desk.admin)["created_vs_resolved"]] == [2, 3, 1]
    # In UTC the same tickets fall on other days: T1 on the 27th, T3 and T2 on the 28th, T4 and T5 on the 30th.
    utc = figures(desk.agent_a, tz="UTC")["created_vs_resolved"]
    assert [(day["date"].day, day["created"], day["resolved"]) for day in utc] == [(28, 2, 1), (29, 1, 2), (30, 2, 0)]


def test_days_without_tickets_are_zero_rows(desk):
    rows = figures(desk.agent_a, **{"from": "2026-03-01", "to": "2026-03-31"})["created_vs_resolved"]
    assert len(rows) == 31
    assert rows[0] == {"date": date(2026, 3, 1), "created": 0, "resolved": 0}
    assert sum(row["created"] for row in rows) == 7  # T5 (the 31st) and T6 (the 20th) count too
    assert sum(row["created"] for row in rows[27:30]) == 5


def test_first_response_counts_only_public_staff_replies(desk):
    # T1 10 min, T2 90 min (not the internal note), T3 30 min (not the requester's own comment);
    # T4 unanswered and T8 answered only by its own requester: not counted.
    # [10, 30, 90]: median 30; p90 at position 1.8 = 30 + 0.8 x (90 - 30) = 78.
    assert figures(desk.agent_a)["first_response"] == {
        "count": 3,
        "median_minutes": 30.0,
        "p90_minutes": 78.0,
        **NO_SLA,
    }
    # With team B's T7 (5 min): [5, 10, 30, 90]: median 10 + 0.5 x 20 = 20; p90 at 2.7 = 30 + 0.7 x 60 = 72.
    assert figures(desk.admin)["first_response"] == {"count": 4, "median_minutes": 20.0, "p90_minutes": 72.0, **NO_SLA}


def test_resolution_time_reopened_ticket_counts_to_its_latest_resolution(desk):
    # T1 10 h 30 = 630 min; T3 from 23:00 to 22:30 next day = 1410 min (reopened in between);
    # T6 closed after exactly 9 days = 12960 min. Median 1410; p90 = 1410 + 0.8 x (12960 - 1410) = 10650.
    assert figures(desk.agent_a)["resolution"] == {
        "count": 3,
        "median_minutes": 1410.0,
        "p90_minutes": 10650.0,
        **NO_SLA,
    }


def test_backlog_is_open_tickets_now(desk):
    backlog = figures(desk.agent_a)["backlog"]
    # T2 (open, high, assigned), T4 (new, urgent), T5 (new, normal), T8 (new, normal, triage).
    assert backlog["total"] == 4
    assert backlog["unassigned"] == 3
    assert backlog["by_status"] == {
        "new": 3,
        "open": 1,
        "pending_approval": 0,
        "approved": 0,
        "rejected": 0,
        "in_progress": 0,
        "on_hold": 0,
    }
    assert backlog["by_priority"] == {"low": 0, "normal": 2, "high": 1, "urgent": 1}
    assert backlog["by_team"] == [
        {"team": {"id": desk.team_a.pk, "name": "Team A"}, "open": 3},
        {"team": None, "open": 1},
    ]
    admin = figures(desk.admin)["backlog"]
    assert admin["total"] == 5 and admin["by_priority"]["urgent"] == 2
    assert figures(desk.admin, team=desk.team_b.pk)["backlog"]["total"] == 1


def test_workload_is_open_tickets_per_assignee(desk):
    rows = figures(desk.admin)["workload"]
    assert [(row["user"]["display_name"], row["open"], row["high_priority"]) for row in rows] == [
        ("Agent A", 1, 1),
        ("Agent B", 1, 1),
    ]
    assert [row["user"]["id"] for row in figures(desk.agent_a)["workload"]] == [desk.agent_a.pk]


def test_approvals_pending_and_time_to_decide_per_workflow(desk):
    # Pending: T4's since 20:00 on the 30th, 12 h before NOW. Decided in the period: Manager approval
    # on T2 (120 min) and T8 (60 min) → median 90; Purchase on T3 rejected after 30. T1's was cancelled.
    assert figures(desk.agent_a)["approvals"] == {
        "pending": 1,
        "oldest_pending_minutes": 720.0,
        "by_workflow": [
            {"workflow": "Manager approval", "decided": 2, "median_minutes": 90.0},
            {"workflow": "Purchase", "decided": 1, "median_minutes": 30.0},
        ],
    }
    # The admin also has T7's, pending since the 25th at 08:00: 6 days before NOW.
    admin = figures(desk.admin)["approvals"]
    assert (admin["pending"], admin["oldest_pending_minutes"]) == (2, 8640.0)


def test_reopen_rate(desk):
    # Moved to resolved/closed in the period: T1, T3 (twice), T6; T3 was reopened after → 1 of 3.
    assert figures(desk.agent_a)["reopen"] == {"resolved": 3, "reopened": 1, "rate_percent": 33.3}
    # A period holding only T3's second resolution: resolved once, not reopened since.
    late = figures(desk.agent_a, **{"from": "2026-03-30", "to": "2026-03-30"})["reopen"]
    assert late == {"resolved": 1, "reopened": 0, "rate_percent": 0.0}


def test_top_tags_of_tickets_created_in_the_period(desk):
    assert figures(desk.agent_a)["top_tags"] == [{"tag": "vpn", "count": 4}, {"tag": "printer", "count": 2}]
    assert figures(desk.admin)["top_tags"][-1] == {"tag": "secret-b", "count": 1}


def test_empty_period_has_zeros_and_nulls(desk):
    result = figures(desk.agent_a, **{"from": "2025-01-01", "to": "2025-01-02"})
    assert result["first_response"] == {"count": 0, "median_minutes": None, "p90_minutes": None, **NO_SLA}
    assert result["resolution"] == {"count": 0, "median_minutes": None, "p90_minutes": None, **NO_SLA}
    assert result["reopen"] == {"resolved": 0, "reopened": 0, "rate_percent": None}
    assert result["approvals"]["by_workflow"] == [] and result["top_tags"] == []
    assert [row["created"] for row in result["created_vs_resolved"]] == [0, 0]


def test_period_bounds_are_midnights_in_the_zone():
    period = report_period(date(2026, 3, 28), date(2026, 3, 30), "Europe/Berlin")
    assert (period.start, period.end) == (at("2026-03-27 23:00"), at("2026-03-30 22:00"))
