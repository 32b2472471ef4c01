from django.urls import path

from . import import_views as views

app_name = "excel-returns"

urlpatterns = [
    path("template/", views.template, name="template"),
    path("upload/", views.upload, name="upload"),
    path("confirm/", views.confirm, name="confirm"),
]
