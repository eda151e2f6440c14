"""Portuguese names in the admin for the apps and models of third-party packages (django-axes,
django-tasks-db), whose own names are English and whose models we do not own (changing their
Meta would need migrations inside those packages)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

APP_NAMES = {
    "axes": "Tentativas de acesso",
    "django_tasks_database": "Tarefas em segundo plano",
}
MODEL_NAMES = {
    ("axes", "accessattempt"): "Tentativas de acesso bloqueáveis",
    ("axes", "accessfailurelog"): "Falhas de acesso",
    ("axes", "accesslog"): "Registro de acessos",
    ("django_tasks_database", "dbtaskresult"): "Resultados das tarefas",
}


def portuguese_app_list(site: admin.AdminSite) -> None:
    """Wrap ``site.get_app_list`` (index page and side menu) with the names above."""
    original = site.get_app_list

    def get_app_list(request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        apps = original(request, app_label)
        for app in apps:
            label = app.get("app_label", "")
            app["name"] = APP_NAMES.get(label, app["name"])
            for model in app.get("models", []):
                key = (label, model.get("object_name", "").lower())
                model["name"] = MODEL_NAMES.get(key, model["name"])
        return apps

    site.get_app_list = get_app_list  # type: ignore[method-assign]
