"""Percentiles in the database: PostgreSQL's percentile_cont and the SQLite window-function fallback
both equal the reference definition (continuous percentile, PERCENTILE.INC) exactly."""

import random
import statistics

import pytest
from django.db.models import Case, F, IntegerField, Value, When

from apps.core.testing.factories import make_user
from apps.reports.stats import percentiles
from apps.tickets.models import Ticket
from apps.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def reference(values: list[int], fraction: float) -> float:
    """percentile_cont as PostgreSQL computes it (orderedsetaggs.c), in the same float steps."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = low + (position > low)
    return float(ordered[low]) + (position - low) * (ordered[high] - ordered[low])


def tickets_with(values: dict[str, list[int | None]]) -> None:
    requester = make_user()
    for priority, group in values.items():
        for value in group:
            ticket = make_ticket(requester, priority=priority, status="closed" if value is None else "open")
            Ticket.objects.filter(pk=ticket.pk).update(version=value or 1)


def rows():
    # NULL for closed tickets: percentiles ignore NULLs, as percentile_cont does.
    return Ticket.objects.annotate(
        v=Case(When(status="closed", then=Value(None)), default=F("version"), output_field=IntegerField())
    )


def test_known_answers_and_nulls_ignored():
    tickets_with({"low": [60, 120, 180, 600, None]})
    count, (median, p90) = percentiles(rows(), value="v", fractions=(0.5, 0.9))[None]
    # [60, 120, 180, 600]: median at 1.5 → 150; p90 at 2.7 → 180 + 0.7 x 420 = 474 (in float8 steps,
    # 474.00000000000006 on both databases: the reference below checks the exact bits).
    assert (count, median, p90) == (4, 150.0, pytest.approx(474.0))
    assert p90 == reference([60, 120, 180, 600], 0.9)


def test_no_values():
    assert percentiles(rows(), value="v", fractions=(0.5, 0.9)) == {None: (0, [None, None])}
    assert percentiles(rows(), value="v", fractions=(0.5,), group="priority") == {}


def test_random_groups_equal_the_reference_exactly():
    rng = random.Random(14)
    groups = {
        "low": [rng.randint(1, 10**6) for _ in range(37)],
        "normal": [rng.choice([5, 5, 5, 9, 1000]) for _ in range(12)],
        "high": [42],
        "urgent": [3, 1],
    }
    tickets_with(groups)
    fractions = (0.0, 0.1, 0.25, 0.5, 0.9, 0.95, 0.99, 1.0)
    found = percentiles(rows(), value="v", fractions=fractions, group="priority")
    rank = {"low": 1, "normal": 2, "high": 3, "urgent": 4}
    for name, values in groups.items():
        count, result = found[rank[name]]
        assert count == len(values)
        assert result == [reference(values, fraction) for fraction in fractions], name
        if len(values) > 1:
            # The same definition as Python's inclusive quantiles (its own float steps: approx).
            deciles = statistics.quantiles(values, n=10, method="inclusive")
            assert result[3] == pytest.approx(deciles[4]) and result[4] == pytest.approx(deciles[8])
