from django.contrib import admin
from django.http import HttpRequest

from chancela.api.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Read-only: keys are created on the staff screen or with `create_api_key` (shown once)."""

    list_display = ["name", "display_prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["units"]
    search_fields = ["name", "prefix"]
    readonly_fields = [
        "public_id",
        "prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    exclude = ["key_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
