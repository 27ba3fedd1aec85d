"""Bulk seeding of a realistic desk on PostgreSQL, in SQL (`INSERT ... SELECT generate_series`):
a million tickets in minutes, not hours. Used by bench/reports.py and the export memory test.

    seed_desk(tickets=1_000_000, days=1095)

History is spread over `days` up to now: old tickets are almost all resolved or closed, recent ones
mostly open; about 85 % have a public staff reply within hours, 5 % were reopened, 3 % went
through an approval; tickets with a team have SLA clocks (`SLA_CLOCKS`). Every ticket has a
`created` activity row; each resolution, reopen and close has its `status_changed` row, as the
services write them. Users and teams are made through the ORM
(few), the bulk rows in SQL. Call inside a configured Django process whose database is PostgreSQL.
"""

import time

from django.db import connection, transaction

TAGS = [
    "vpn", "printer", "email", "laptop", "password", "wifi", "access", "license", "monitor", "phone",
    "onboarding", "offboarding", "backup", "outlook", "teams", "sap", "payroll", "badge", "desk", "vip",
]  # fmt: skip
WORKFLOWS = ["Manager approval", "Purchase over 1000", "Access to production"]


def _people(teams: int, agents_per_team: int, requesters: int) -> dict:
    from apps.accounts.models import Role, Team, User

    team_rows = [Team.objects.get_or_create(name=f"Seed team {i}")[0] for i in range(teams)]
    agents = []
    for t, team in enumerate(team_rows):
        for a in range(agents_per_team):
            user, _ = User.objects.get_or_create(
                username=f"seed-agent-{t}-{a}",
                defaults={"email": f"seed-agent-{t}-{a}@example.com", "name": f"Agent {t}-{a}", "role": Role.AGENT},
            )
            team.members.add(user)
            agents.append(user.pk)
    people = [
        User.objects.get_or_create(
            username=f"seed-req-{i}", defaults={"email": f"seed-req-{i}@example.com", "name": f"Requester {i}"}
        )[0].pk
        for i in range(requesters)
    ]
    return {"teams": [team.pk for team in team_rows], "agents": agents, "requesters": people}


def _sql(cursor, statement: str, params: dict) -> float:
    started = time.perf_counter()
    cursor.execute(statement, params)
    return time.perf_counter() - started


TICKETS = """
WITH base AS (
  SELECT g, now() - random() * %(days)s * interval '1 day' AS created_at,
         random() AS r_priority, random() AS r_done, random() AS r_close, random() AS r_resolved_first,
         random() AS r_assign, -ln(1 - random()) AS r_finish
  FROM generate_series(1, %(count)s) AS g
), shaped AS (
  SELECT b.*, g %% (%(n_teams)s + 1) AS team_slot,
         EXTRACT(EPOCH FROM now() - created_at) / 86400 AS age_days,
         LEAST(created_at + r_finish * interval '20 hours' + interval '5 minutes', now()) AS finish
  FROM base b
), decided AS (
  SELECT s.*, r_done < CASE WHEN age_days > 30 THEN 0.985 ELSE age_days / 30 * 0.85 END AS done,
         r_close < 0.6 AS closes
  FROM shaped s
), final AS (
  SELECT d.*,
         CASE WHEN done AND closes THEN LEAST(finish + interval '2 days', now()) END AS closed_at,
         CASE WHEN done AND (NOT closes OR r_resolved_first < 0.7) THEN finish END AS resolved_at,
         CASE WHEN NOT done THEN (ARRAY['new','open','in_progress','on_hold','pending_approval'])[1 + (g %% 5)]
              WHEN closes THEN 'closed' ELSE 'resolved' END AS status
  FROM decided d
)
INSERT INTO tickets_ticket (number, title, description, status, priority, type, requester_id, assignee_id,
                            team_id, due_at, created_at, updated_at, resolved_at, closed_at, version,
                            sla_breached)
SELECT %(first_number)s + g,
       'Seeded ticket ' || g || ' about ' || (%(tags)s::text[])[1 + (g %% 20)],
       'Seeded for the benchmark.',
       status,
       CASE WHEN r_priority < 0.2 THEN 1 WHEN r_priority < 0.7 THEN 2 WHEN r_priority < 0.92 THEN 3 ELSE 4 END,
       (ARRAY['incident','service_request','change','question'])[1 + (g %% 4)],
       (%(requesters)s::bigint[])[1 + (g %% %(n_requesters)s)],
       CASE WHEN team_slot = 0 OR r_assign < 0.2 THEN NULL
            ELSE (%(agents)s::bigint[])[(team_slot - 1) * %(per_team)s + 1 + (g %% %(per_team)s)] END,
       CASE WHEN team_slot = 0 THEN NULL ELSE (%(teams)s::bigint[])[team_slot] END,
       NULL::timestamptz, created_at, COALESCE(closed_at, resolved_at, created_at), resolved_at, closed_at, 1,
       false
FROM final
"""

TAGS_SQL = """
INSERT INTO tickets_ticket_tags (ticket_id, tag_id)
SELECT t.id, tag.id FROM tickets_ticket t
JOIN tickets_tag tag ON tag.name = (%(tags)s::text[])[1 + (t.number %% 20)]
WHERE t.number > %(first_number)s
UNION
SELECT t.id, tag.id FROM tickets_ticket t
JOIN tickets_tag tag ON tag.name = (%(tags)s::text[])[1 + ((t.number * 7) %% 20)]
WHERE t.number > %(first_number)s AND t.number %% 3 = 0
"""

# The first public staff reply (85 %), and a requester's comment on some.
COMMENTS = """
INSERT INTO comments_comment (ticket_id, author_id, parent_id, body, body_html, internal, created_at)
SELECT t.id, COALESCE(t.assignee_id, (%(agents)s::bigint[])[1 + (t.number %% %(n_agents)s)]), NULL::bigint,
       'On it.', '<p>On it.</p>', false,
       LEAST(t.created_at + (-ln(1 - random()) * interval '2 hours') + interval '1 minute', now())
FROM tickets_ticket t WHERE t.number > %(first_number)s AND random() < 0.85
UNION ALL
SELECT t.id, t.requester_id, NULL::bigint, 'Any news?', '<p>Any news?</p>', false, t.created_at + interval '30 minutes'
FROM tickets_ticket t WHERE t.number > %(first_number)s AND t.number %% 4 = 0
"""

EVENTS = """
INSERT INTO tickets_ticketevent (ticket_id, actor_id, kind, old, new, note, internal, created_at)
SELECT t.id, t.requester_id, 'created', NULL::jsonb, jsonb_build_object('status', 'new'), '', false, t.created_at
FROM tickets_ticket t WHERE t.number > %(first_number)s
UNION ALL
SELECT t.id, t.assignee_id, 'status_changed', '"open"'::jsonb, to_jsonb(CASE WHEN t.resolved_at IS NULL THEN 'closed'
       ELSE 'resolved' END), '', false, COALESCE(t.resolved_at, t.closed_at)
FROM tickets_ticket t WHERE t.number > %(first_number)s AND (t.resolved_at IS NOT NULL OR t.closed_at IS NOT NULL)
UNION ALL
SELECT t.id, t.assignee_id, 'status_changed', '"resolved"'::jsonb, '"closed"'::jsonb, '', false, t.closed_at
FROM tickets_ticket t WHERE t.number > %(first_number)s AND t.resolved_at IS NOT NULL AND t.closed_at IS NOT NULL
"""

# 5 % of finished tickets were resolved once before, reopened, and finished again later.
REOPENS = """
INSERT INTO tickets_ticketevent (ticket_id, actor_id, kind, old, new, note, internal, created_at)
SELECT t.id, t.requester_id, x.kind, x.old::jsonb, x.new::jsonb, '', false, x.at
FROM tickets_ticket t
CROSS JOIN LATERAL (VALUES
  ('status_changed', '"open"', '"resolved"', t.created_at + (COALESCE(t.resolved_at, t.closed_at) - t.created_at) / 3),
  ('status_changed', '"resolved"', '"open"', t.created_at + (COALESCE(t.resolved_at, t.closed_at) - t.created_at) / 2)
) AS x(kind, old, new, at)
WHERE t.number > %(first_number)s AND COALESCE(t.resolved_at, t.closed_at) IS NOT NULL AND t.number %% 20 = 7
"""

APPROVALS = """
INSERT INTO approvals_approvalrequest (ticket_id, workflow_id, workflow_name, requested_by_id, state, current_step,
                                       steps_total, created_at, finished_at, cancelled_by_id)
SELECT t.id, NULL::bigint, (%(workflows)s::text[])[1 + (t.number %% 3)], t.requester_id,
       CASE WHEN t.status = 'pending_approval' THEN 'pending' WHEN t.number %% 5 = 0 THEN 'rejected' ELSE 'approved' END,
       (CASE WHEN t.status = 'pending_approval' THEN 1 END)::smallint, 1, t.created_at + interval '10 minutes',
       CASE WHEN t.status = 'pending_approval' THEN NULL
            ELSE t.created_at + interval '10 minutes' + (-ln(1 - random()) * interval '6 hours') END,
       NULL::bigint
FROM tickets_ticket t
WHERE t.number > %(first_number)s AND (t.status = 'pending_approval' OR t.number %% 33 = 0)
"""


# SLA: every ticket with a team runs under one 24/7 policy (4 h to the first response, 24 h to
# resolution), its two clocks as apps.sla would store them: a stopped clock met or late with the
# business time it counted (24/7: the elapsed time; the seeded pauses and reopens are ignored here),
# a running one breached once its due time has passed. Reports read these (docs/reports.md "sla").
TICKET_SLAS = """
INSERT INTO sla_ticketsla (ticket_id, policy_id, policy_name, calendar_id, first_response_minutes, resolution_minutes,
                           pause_statuses, warning_percent, matched_on, next_check_at, updated_at)
SELECT t.id, %(policy)s, 'Seed SLA', %(calendar)s, 240, 1440, '["on_hold", "pending_approval"]'::jsonb, 75,
       '{}'::jsonb, NULL::timestamptz, now()
FROM tickets_ticket t WHERE t.number > %(first_number)s AND t.team_id IS NOT NULL
"""

SLA_CLOCKS = """
WITH stops AS (
  SELECT t.id, t.created_at, c.kind, c.minutes,
         CASE WHEN c.kind = 'resolution' THEN COALESCE(t.resolved_at, t.closed_at)
              ELSE LEAST((SELECT MIN(m.created_at) FROM comments_comment m
                          WHERE m.ticket_id = t.id AND NOT m.internal AND m.author_id <> t.requester_id),
                         COALESCE(t.resolved_at, t.closed_at)) END AS stop
  FROM tickets_ticket t JOIN sla_ticketsla s ON s.ticket_id = t.id
  CROSS JOIN (VALUES ('first_response', 240), ('resolution', 1440)) AS c(kind, minutes)
  WHERE t.number > %(first_number)s
), due AS (
  SELECT s.*, created_at + minutes * interval '1 minute' AS due_at FROM stops s
)
INSERT INTO sla_slaclock (ticket_sla_id, kind, state, started_at, target_minutes, due_at, warning_at, paused_at,
                          stopped_at, remaining, warned_at, breached_at, counted_seconds)
SELECT id, kind, CASE WHEN COALESCE(stop, now()) > due_at THEN 'breached' WHEN stop IS NULL THEN 'running' ELSE 'met' END,
       created_at, minutes, due_at, created_at + minutes * interval '45 seconds', NULL::timestamptz, stop,
       NULL::interval, NULL::timestamptz, CASE WHEN COALESCE(stop, now()) > due_at THEN due_at END,
       CAST(FLOOR(EXTRACT(EPOCH FROM stop - created_at)) AS bigint)
FROM due
"""

SLA_BREACHED = """
UPDATE tickets_ticket t SET sla_breached = true
WHERE t.number > %(first_number)s
  AND EXISTS (SELECT 1 FROM sla_slaclock c WHERE c.ticket_sla_id = t.id AND c.breached_at IS NOT NULL)
"""


def _sla_policy() -> dict:
    from apps.sla.calendars import HOURS_24_7
    from apps.sla.models import BusinessCalendar, SlaPolicy

    calendar, _ = BusinessCalendar.objects.get_or_create(
        name="Seed 24/7", defaults={"timezone": "UTC", "hours": HOURS_24_7}
    )
    policy, _ = SlaPolicy.objects.get_or_create(
        name="Seed SLA",
        defaults={
            "calendar": calendar,
            "first_response_minutes": 240,
            "resolution_minutes": 1440,
            "pause_statuses": ["on_hold", "pending_approval"],
        },
    )
    return {"calendar": calendar.pk, "policy": policy.pk}


def seed_desk(
    *, tickets: int, days: int = 1095, teams: int = 8, agents_per_team: int = 6, requesters: int = 2000
) -> dict:
    """Adds `tickets` tickets (with comments, activity, tags, approvals) spread over the last `days`.

    Returns {"teams", "agents", "requesters": ids, "seconds": {step: seconds}}. Runs ANALYZE after.
    """
    from apps.tickets.models import Tag

    people = _people(teams, agents_per_team, requesters)
    for name in TAGS:
        Tag.objects.get_or_create(name=name)
    params = {
        "count": tickets,
        "days": days,
        "tags": TAGS,
        "workflows": WORKFLOWS,
        "teams": people["teams"],
        "n_teams": teams,
        "agents": people["agents"],
        "n_agents": len(people["agents"]),
        "per_team": agents_per_team,
        "requesters": people["requesters"],
        "n_requesters": requesters,
    }
    params.update(_sla_policy())
    seconds = {}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.14)")
        cursor.execute("SELECT COALESCE(MAX(number), 0) FROM tickets_ticket")
        params["first_number"] = cursor.fetchone()[0]
        for step, statement in [
            ("tickets", TICKETS),
            ("tags", TAGS_SQL),
            ("comments", COMMENTS),
            ("events", EVENTS),
            ("reopens", REOPENS),
            ("approvals", APPROVALS),
            ("sla", TICKET_SLAS),
            ("sla clocks", SLA_CLOCKS),
            ("sla breached", SLA_BREACHED),
        ]:
            seconds[step] = _sql(cursor, statement, params)
        cursor.execute("SELECT setval('tickets_ticket_number_seq', (SELECT MAX(number) FROM tickets_ticket))")
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute("ANALYZE")
        seconds["analyze"] = time.perf_counter() - started
    return {**people, "seconds": seconds}
