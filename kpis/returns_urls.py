from django.urls import path

from . import returns_views as views

app_name = "returns"

urlpatterns = [
    path("", views.my_returns, name="mine"),
    path("kpi/<int:kpi_id>/<str:period>/", views.kpi_return, name="kpi-return"),
    path("kpi/<int:kpi_id>/<str:period>/preview/", views.kpi_preview, name="kpi-preview"),
    path("action/<int:item_id>/", views.action_update, name="action-update"),
    path("action/<int:item_id>/preview/", views.action_preview, name="action-preview"),
    path("sign-off/", views.sign_off, name="sign-off"),
    path("sign-off/<int:value_id>/return/", views.return_record, name="return-for-changes"),
    path("lock/", views.lock, name="lock"),
    path("unlock/<int:value_id>/", views.unlock, name="unlock"),
    path("completeness/", views.completeness, name="completeness"),
    path("history/<int:value_id>/", views.history, name="history"),
]
