from django.urls import path

from . import views

app_name = "golden_thread"

urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:pk>/", views.item_detail, name="item"),
    path("<int:pk>/children/", views.item_children, name="item-children"),
]
