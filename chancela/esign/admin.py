from django.contrib import admin
from django.http import HttpRequest

from chancela.esign.models import (
    ConfigAuditEntry,
    DocumentType,
    SignatureConfig,
    SignerRegistration,
)


class ConfigAuditInline(admin.TabularInline):
    model = ConfigAuditEntry
    extra = 0
    can_delete = False
    readonly_fields = ["at", "actor", "action", "changes", "note"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(SignatureConfig)
class SignatureConfigAdmin(admin.ModelAdmin):
    """Read-mostly: secrets are never shown; changes go through the audited staff screen."""

    list_display = ["name", "unit", "environment", "api_user_email", "active"]
    list_filter = ["environment", "active", "unit"]
    search_fields = ["name", "api_user_email"]
    exclude = ["token", "webhook_secret", "previous_webhook_secret"]
    readonly_fields = [
        "public_id",
        "unit",
        "environment",
        "token_fingerprint",
        "webhook_secret_fingerprint",
        "clicksign_account_key",
        "clicksign_webhook_id",
        "last_connection_check_at",
        "last_connection_status",
        "last_successful_call_at",
        "last_callback_at",
    ]
    inlines = [ConfigAuditInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created on the staff screen, which validates and audits


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "config", "default_deadline_days", "active"]
    list_filter = ["active", "config"]
    search_fields = ["name", "code"]
    filter_horizontal = ["units"]


@admin.register(SignerRegistration)
class SignerRegistrationAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "config", "unit", "last_used_at"]
    list_filter = ["config__environment", "unit"]
    search_fields = ["name", "email"]
    readonly_fields = ["registered_at", "last_used_at"]
