from django.urls import path

from . import views

app_name = "kpis"

urlpatterns = [
    path("", views.kpi_list, name="list"),
    path("<str:reference>/", views.kpi_detail, name="detail"),
]
