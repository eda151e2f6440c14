from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "chancela.core"
    label = "core"
    verbose_name = "Núcleo"

    def ready(self) -> None:
        from django_tasks import signals as task_signals
        from django_tasks.signals import task_enqueued, task_finished, task_started

        from chancela.core import correlation
        from chancela.core.heartbeat import on_task_started

        task_started.connect(on_task_started, dispatch_uid="chancela-worker-heartbeat")
        task_enqueued.connect(correlation.on_task_enqueued, dispatch_uid="chancela-correlation")
        task_started.connect(correlation.on_task_started, dispatch_uid="chancela-correlation")
        # django-tasks logs "state=RUNNING" from its own receiver: run it after ours so that
        # line carries the job's correlation id too.
        if task_started.disconnect(task_signals.log_task_started):
            task_started.connect(task_signals.log_task_started)
        task_finished.connect(correlation.on_task_finished, dispatch_uid="chancela-correlation")
