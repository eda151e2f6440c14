"""The main menu: each feature adds its entry here (label, URL name, permission)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str
    url_name: str
    permission: str | None = None


MAIN_MENU: list[MenuItem] = [
    MenuItem(
        "requests", "Documentos em assinatura", "signing:request_list", "signing.send_documents"
    ),
    MenuItem("send", "Enviar documento", "signing:request_create", "signing.send_documents"),
    MenuItem("batches", "Envio em lote", "batches:batch_list", "signing.send_documents"),
    MenuItem("api_keys", "Chaves de API", "api_keys:list", "esign.manage_signature_config"),
    MenuItem(
        "callbacks", "Retornos da Clicksign", "callbacks:monitor", "esign.manage_signature_config"
    ),
]


def menu_for(user: Any) -> list[dict[str, str]]:
    items = []
    for item in MAIN_MENU:
        if item.permission and not user.has_perm(item.permission):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # the feature is not installed yet
        items.append({"key": item.key, "label": item.label, "url": url})
    return items
