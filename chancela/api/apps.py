from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "chancela.api"
    label = "api"
    verbose_name = "API para o sistema acadêmico"
