from django.apps import AppConfig


class BatchesConfig(AppConfig):
    name = "chancela.batches"
    label = "batches"
    verbose_name = "Envio em lote"
