from django.apps import AppConfig


class EsignConfig(AppConfig):
    name = "chancela.esign"
    label = "esign"
    verbose_name = "Assinatura eletrônica"
