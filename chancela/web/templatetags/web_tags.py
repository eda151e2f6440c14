from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField, CheckboxInput
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from chancela.core.people import cpf_mask, phone_mask

register = template.Library()


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return isinstance(field.field.widget, CheckboxInput)


@register.simple_tag
def status_badge(status: str, label: str) -> SafeString:
    return format_html('<span class="badge status-{}">{}</span>', status, label)


@register.simple_tag
def sandbox_mark(obj: Any) -> SafeString:
    """The orange mark for anything tied to a sandbox configuration."""
    environment = getattr(obj, "environment", obj)
    if environment == "sandbox":
        return mark_safe('<span class="sandbox-mark">Sandbox — sem validade jurídica</span>')  # noqa: S308
    return mark_safe("")  # noqa: S308


@register.filter
def masked_cpf(value: str) -> str:
    return cpf_mask(value)


@register.filter
def masked_phone(value: str) -> str:
    return phone_mask(value)


@register.filter
def ago(value: Any) -> str:
    """ "há 5 minutos", or "agora mesmo" under a minute (never "há 0 minuto")."""
    from django.utils import timezone
    from django.utils.timesince import timesince

    if not value:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return "agora mesmo"
    return f"há {timesince(value)}"
