"""Statistics computed in the database: durations in whole seconds and exact percentiles.

"Exact" means the continuous percentile of the SQL standard (PostgreSQL's `percentile_cont`, Excel's
PERCENTILE.INC, Python's `statistics.quantiles(method="inclusive")`): sort the n values, take the
position p·(n-1); between the two closest ranks interpolate linearly as `lo + (hi - lo)·frac`.
PostgreSQL evaluates it with `percentile_cont ... WITHIN GROUP`; SQLite has no such aggregate, so
the same definition is written with window functions (ROW_NUMBER/COUNT over the ordered values),
with the same floating-point steps as PostgreSQL's code (orderedsetaggs.c), so both databases give
the same number for the same rows. Durations are whole seconds (`EpochSeconds`) on both, so the
inputs are the same integers too.
"""

from collections.abc import Sequence

from django.db import connection
from django.db.models import Aggregate, BigIntegerField, Count, FloatField, Func, QuerySet


class EpochSeconds(Func):
    """A datetime as whole seconds since 1970-01-01 UTC (floored), as a bigint on both databases."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS bigint)")

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores datetimes as UTC text; strftime('%s') reads it (fraction truncated, as FLOOR for t > 1970).
        return self.as_sql(compiler, connection, template="CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)")


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`; NULLs are ignored."""

    function = "percentile_cont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be within [0, 1]")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentiles(
    rows: QuerySet, *, value: str, fractions: Sequence[float], group: str | None = None
) -> dict[object, tuple[int, list[float | None]]]:
    """Exact percentiles of the annotation `value` over `rows`, per `group` (a field) or overall.

    Returns {group value (None when ungrouped): (count of non-null values, [percentile per fraction])}
    with every percentile a float in the unit of `value`; rows whose value is NULL don't count. An
    ungrouped query over no values returns {None: (0, [None, ...])}. One query on either database.
    """
    if connection.vendor == "postgresql":
        aggregates = {f"p{i}": PercentileCont(value, fraction) for i, fraction in enumerate(fractions)}
        aggregates["n"] = Count(value)
        if group is None:
            result = rows.aggregate(**aggregates)
            return {None: (result["n"], [result[f"p{i}"] for i in range(len(fractions))])}
        grouped = rows.order_by().values(group).annotate(**aggregates)
        return {row[group]: (row["n"], [row[f"p{i}"] for i in range(len(fractions))]) for row in grouped}
    return _percentiles_by_window(rows, value=value, fractions=fractions, group=group)


def _percentiles_by_window(
    rows: QuerySet, *, value: str, fractions: Sequence[float], group: str | None
) -> dict[object, tuple[int, list[float | None]]]:
    columns = [value] + ([group] if group else [])
    sql, params = rows.order_by().values_list(*columns).query.sql_with_params()
    group_column = "g" if group else "NULL"
    picks = []
    for fraction in fractions:
        position = f"((n - 1) * {float(fraction)!r})"
        low = f"CAST({position} AS INTEGER)"
        high = f"({low} + ({position} > {low}))"
        low_value = f"MAX(CASE WHEN i = {low} THEN x END)"
        high_value = f"MAX(CASE WHEN i = {high} THEN x END)"
        # PostgreSQL's float8 interpolation: lo + (frac * (hi - lo)), frac = position - floor(position).
        frac = f"(MAX({position}) - MAX({low}))"
        picks.append(f"CAST({low_value} AS REAL) + ({frac} * ({high_value} - {low_value}))")
    # Only numbers and the compiled query's own SQL are interpolated; values stay parameters.
    query = (
        f"WITH v(x{', g' if group else ''}) AS ({sql}), "  # noqa: S608
        f"r AS (SELECT x, {group_column} AS g, "
        f"ROW_NUMBER() OVER (PARTITION BY {group_column} ORDER BY x) - 1 AS i, "
        f"COUNT(*) OVER (PARTITION BY {group_column}) AS n FROM v WHERE x IS NOT NULL) "
        f"SELECT g, MAX(n), {', '.join(picks)} FROM r GROUP BY g"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        found = {row[0]: (row[1], list(row[2:])) for row in cursor.fetchall()}
    if group is None and not found:
        return {None: (0, [None] * len(fractions))}
    return found
