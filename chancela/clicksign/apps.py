from django.apps import AppConfig


class ClicksignConfig(AppConfig):
    name = "chancela.clicksign"
    label = "clicksign"
    verbose_name = "Clicksign"
