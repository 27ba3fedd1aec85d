from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "apps.reports"
    label = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from apps.accounts import hooks
        from apps.reports.permissions import may_view_reports

        hooks.register_me_permissions("reports", lambda user: {"view_reports": may_view_reports(user)})
