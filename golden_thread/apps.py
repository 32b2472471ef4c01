from django.apps import AppConfig


class GoldenThreadConfig(AppConfig):
    name = "golden_thread"
    verbose_name = "Golden thread"
