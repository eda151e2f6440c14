from django.contrib import admin
from django.http import HttpRequest

from chancela.signing.models import (
    Document,
    PrivacyAuditEntry,
    RequestEvent,
    SignatureRequest,
    Signer,
)

DOCUMENT_FIELDS = (
    "filename",
    "status",
    "clicksign_document_id",
    "original_sha256",
    "signed_sha256",
)
SIGNER_FIELDS = ("name", "email", "role", "qualification", "group", "status", "signed_at")
EVENT_FIELDS = ("at", "source", "kind", "message")


class DocumentInline(admin.TabularInline):
    model = Document
    extra = 0
    fields = DOCUMENT_FIELDS
    readonly_fields = DOCUMENT_FIELDS


class SignerInline(admin.TabularInline):
    model = Signer
    extra = 0
    fields = SIGNER_FIELDS
    readonly_fields = SIGNER_FIELDS


class EventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS


@admin.register(SignatureRequest)
class SignatureRequestAdmin(admin.ModelAdmin):
    list_display = ("title", "unit", "document_type", "status", "environment", "created_at")
    list_filter = ("status", "environment", "unit")
    search_fields = ("title", "external_id", "public_id")
    readonly_fields = ("public_id", "clicksign_envelope_id", "status", "status_changed_at")
    inlines = (DocumentInline, SignerInline, EventInline)


PRIVACY_FIELDS = ("at", "action", "actor", "cpf_masked", "cpf_sha256", "unit_codes", "counts")


@admin.register(PrivacyAuditEntry)
class PrivacyAuditEntryAdmin(admin.ModelAdmin):
    """The privacy log (data-subject look-ups, anonymisations, retention runs): read-only."""

    list_display = ("at", "action", "actor", "cpf_masked", "unit_codes")
    list_filter = ("action",)
    search_fields = ("cpf_sha256",)
    fields = PRIVACY_FIELDS
    readonly_fields = PRIVACY_FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
