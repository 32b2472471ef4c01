from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

admin.site.site_header = "pmf administration"
admin.site.site_title = "pmf administration"
admin.site.index_title = "Keep the organisation, golden thread and KPIs"

urlpatterns = [
    path("", include("reporting.urls")),
    path("kpis/", include("kpis.urls")),
    path("returns/excel/", include("kpis.import_urls")),
    path("returns/", include("kpis.returns_urls")),
    path("exports/", include("reporting.export_urls")),
    path("golden-thread/", include("golden_thread.urls")),
    path("escalations/", include("escalation.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
