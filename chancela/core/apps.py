from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "chancela.core"
    label = "core"
    verbose_name = "Núcleo"

    def ready(self) -> None:
        from django_tasks.signals import task_started

        from chancela.core.heartbeat import on_task_started

        task_started.connect(on_task_started, dispatch_uid="chancela-worker-heartbeat")
