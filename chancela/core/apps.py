from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "chancela.core"
    label = "core"
    verbose_name = "Núcleo"

    def ready(self) -> None:
        from django_tasks.signals import task_enqueued, task_finished, task_started

        from chancela.core import correlation
        from chancela.core.heartbeat import on_task_started

        task_started.connect(on_task_started, dispatch_uid="chancela-worker-heartbeat")
        task_enqueued.connect(correlation.on_task_enqueued, dispatch_uid="chancela-correlation")
        task_started.connect(correlation.on_task_started, dispatch_uid="chancela-correlation")
        task_finished.connect(correlation.on_task_finished, dispatch_uid="chancela-correlation")
