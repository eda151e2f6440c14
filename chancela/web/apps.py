from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "chancela.web"
    label = "web"
    verbose_name = "Telas"

    def ready(self) -> None:
        from chancela.web.security import connect_signals

        connect_signals()
