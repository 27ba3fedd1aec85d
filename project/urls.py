from django.contrib import admin
from django.urls import path, re_path

from apps.core.spa import spa_asset, spa_index
from apps.core.views import api_not_found
from project.api import api

admin.site.site_header = "Helpdesk administration"
admin.site.site_title = "Helpdesk admin"

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api(?:/.*)?$", api_not_found),
    path("admin/", admin.site.urls),
    re_path(r"^assets/(?P<path>.+)$", spa_asset),
    re_path(r"^(?!api/|admin/|ws/|static/).*$", spa_index),
]
