from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "chancela.core"
    label = "core"
    verbose_name = "Núcleo"
