from django.apps import AppConfig


class CallbacksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chancela.callbacks"
    label = "callbacks"
    verbose_name = "Retornos da Clicksign"
