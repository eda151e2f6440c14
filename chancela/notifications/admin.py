from django.contrib import admin

from chancela.notifications.models import HostEndpoint, OutboundAttempt, OutboundEvent


@admin.register(HostEndpoint)
class HostEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "unit", "url", "active")
    list_filter = ("active", "unit")
    exclude = ("secret",)
    readonly_fields = ("public_id", "secret_fingerprint")


class AttemptInline(admin.TabularInline):
    model = OutboundAttempt
    extra = 0
    readonly_fields = ("at", "status_code", "error", "duration_ms")


@admin.register(OutboundEvent)
class OutboundEventAdmin(admin.ModelAdmin):
    list_display = ("event_type", "endpoint", "status", "attempts", "created_at")
    list_filter = ("status", "event_type")
    readonly_fields = ("public_id", "payload", "attempts", "delivered_at", "last_status_code")
    inlines = (AttemptInline,)
