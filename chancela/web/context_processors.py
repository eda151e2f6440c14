from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from chancela.institutions.selectors import units_visible_to
from chancela.web.menu import admin_menu_for, menu_for, user_role_label, user_short_name


def unit_filter(request: HttpRequest) -> dict[str, Any]:
    """The unit filter in force, shown on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    units = list(units_visible_to(user=user).values_list("name", flat=True))
    return {
        "unit_filter_names": units,
        "unit_filter_all": user.is_superuser,
        "can_manage_configs": user.has_perm("esign.manage_signature_config"),
        "can_send_documents": user.has_perm("signing.send_documents"),
        "main_menu": menu_for(user),
        "admin_menu": admin_menu_for(user),
        "user_short_name": user_short_name(user),
        "user_role_label": user_role_label(user),
        "public_url": settings.PUBLIC_URL,
    }
