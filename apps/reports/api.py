from zoneinfo import ZoneInfo

from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from ninja import Query, Router

from apps.accounts.models import Team
from apps.core.errors import ValidationFailed
from apps.core.schemas import ErrorOut
from apps.reports import export, selectors
from apps.reports.periods import is_timezone, report_period
from apps.reports.permissions import require_may_view_reports
from apps.reports.schemas import DashboardOut, DashboardQuery, TicketExportQuery
from apps.tickets.selectors import TicketFilters

router = Router(tags=["reports"])


@router.get(
    "/reports/dashboard",
    response={200: DashboardOut, 403: ErrorOut, 422: ErrorOut},
    by_alias=True,
    summary="Dashboard figures",
)
def dashboard(request: HttpRequest, query: Query[DashboardQuery]):
    """Figures over the tickets the caller may see (agents: their teams, the triage queue and their own;
    admins: all), optionally one team's, for the days `from`..`to` in `tz`. Requesters get 403.
    docs/reports.md defines every figure."""
    user = request.auth
    require_may_view_reports(user)
    if query.team is not None and not Team.objects.filter(pk=query.team).exists():
        raise ValidationFailed({"team": "No such team."})
    period = report_period(query.from_, query.to, query.tz)
    return selectors.dashboard(user=user, period=period, team_id=query.team)


@router.get(
    "/tickets/export",
    response={200: None, 422: ErrorOut},
    summary="Export tickets as CSV",
    openapi_extra={
        "responses": {
            200: {
                "description": "UTF-8 CSV with a byte-order mark; columns in docs/reports.md",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def ticket_export(request: HttpRequest, query: Query[TicketExportQuery]):
    """Every ticket `GET /tickets` would return with the same filters and ordering (all pages), as CSV,
    streamed. Date columns are wall-clock times in `tz`; formula-like cells are neutralised."""
    if not is_timezone(query.tz):
        raise ValidationFailed({"tz": "Use an IANA time zone name such as Europe/Berlin or UTC."})
    tz = ZoneInfo(query.tz)
    filters = TicketFilters(**query.dict(exclude={"tz"}))
    rows = export.export_rows(user=request.auth, filters=filters, tz=tz)
    response = StreamingHttpResponse(export.stream(export.csv_chunks(rows, tz)), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().astimezone(tz).strftime("%Y-%m-%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="helpdesk-tickets-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
