"""The main menu: the daily work in one row, administration grouped apart.

Each feature adds its entry here (label, URL name, permission). An entry is shown only to
those who may use it: a permission, or the general administrator for ``superuser`` entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

SUPERUSER = "superuser"
SEND = "signing.send_documents"
MANAGE = "esign.manage_signature_config"


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str
    url_name: str
    permission: str | None = None


# The daily work of a secretaria: short labels so the row fits at 1366 px.
MAIN_MENU: list[MenuItem] = [
    MenuItem("dashboard", "Início", "web:dashboard"),
    MenuItem("requests", "Documentos em assinatura", "signing:request_list", SEND),
    MenuItem("send", "Enviar", "signing:request_create", SEND),
    MenuItem("batches", "Envio em lote", "batches:batch_list", SEND),
]

# Administration: configuration and integration, for IT and the general administrator.
ADMIN_MENU: list[MenuItem] = [
    MenuItem("configs", "Configuração", "esign:config_list", MANAGE),
    MenuItem("document_types", "Tipos de documento", "esign:document_type_list", MANAGE),
    MenuItem("api_keys", "Chaves de API", "api_keys:list", MANAGE),
    MenuItem("integrations", "Integrações", "notifications:endpoint_list", MANAGE),
    MenuItem("callbacks", "Retornos da Clicksign", "callbacks:monitor", MANAGE),
    MenuItem(
        "purge",
        "Limpeza de pessoas registradas",
        "esign:signer_registration_purge",
        MANAGE,
    ),
    MenuItem(
        "data_subject",
        "Dados de um titular (LGPD)",
        "signing:data_subject",
        "signing.data_subject_report",
    ),
    MenuItem("sharing", "Informações compartilhadas", "web:sharing_policy", SUPERUSER),
    MenuItem("django_admin", "Cadastros (admin)", "admin:index", SUPERUSER),
]


def _allowed(user: Any, item: MenuItem) -> bool:
    if item.permission is None:
        return True
    if item.permission == SUPERUSER:
        return bool(user.is_superuser)
    return bool(user.has_perm(item.permission))


def _entries(user: Any, items: list[MenuItem]) -> list[dict[str, str]]:
    entries = []
    for item in items:
        if not _allowed(user, item):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # the feature is not installed yet
        entries.append({"key": item.key, "label": item.label, "url": url})
    return entries


def menu_for(user: Any) -> list[dict[str, str]]:
    """The daily-work entries this user may use."""
    return _entries(user, MAIN_MENU)


def admin_menu_for(user: Any) -> list[dict[str, str]]:
    """The administration entries this user may use (empty: no "Administração" menu)."""
    return _entries(user, ADMIN_MENU)


def user_short_name(user: Any) -> str:
    """What the header calls the person: the first word of the first name, else the login."""
    first = (user.first_name or "").split()
    return first[0] if first else user.get_username()


def user_role_label(user: Any) -> str:
    """A short label for what the person does here."""
    if user.is_superuser:
        return "Administrador geral"
    group_names = sorted(user.groups.values_list("name", flat=True))
    if group_names:
        return group_names[0]
    if user.has_perm(MANAGE):
        return "TI / integração"
    if user.has_perm(SEND):
        return "Secretaria acadêmica"
    return "Consulta"
