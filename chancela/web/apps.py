from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "chancela.web"
    label = "web"
    verbose_name = "Telas"
