from django.apps import AppConfig


class InstitutionsConfig(AppConfig):
    name = "chancela.institutions"
    label = "institutions"
    verbose_name = "Instituição"
