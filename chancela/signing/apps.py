from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "chancela.signing"
    label = "signing"
    verbose_name = "Solicitações de assinatura"
