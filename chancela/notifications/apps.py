from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "chancela.notifications"
    label = "notifications"
    verbose_name = "Notificações"
