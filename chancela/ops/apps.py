from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "chancela.ops"
    label = "ops"
    verbose_name = "Operação"
