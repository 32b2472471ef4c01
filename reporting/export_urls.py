from django.urls import path

from . import export_views as views

app_name = "exports"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("kpi-list/", views.kpi_list, name="kpi-list"),
    path("kpi-list/csv/", views.kpi_list_csv, name="kpi-list-csv"),
    path("kpis/<str:reference>/", views.kpi_values, name="kpi-values"),
    path("kpis/<str:reference>/csv/", views.kpi_values_csv, name="kpi-values-csv"),
    path("returns/mine/", views.my_returns, name="my-returns"),
    path("returns/sign-off/", views.sign_off, name="sign-off"),
    path("returns/completeness/", views.completeness, name="completeness"),
    path("golden-thread/", views.golden_thread, name="golden-thread"),
]
