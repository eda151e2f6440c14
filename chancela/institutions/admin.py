from django.contrib import admin

from chancela.institutions.models import Person, SharingPolicy, Unit, UnitAccess, UnitGroup


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 0
    fields = ["code", "name", "active"]


@admin.register(UnitGroup)
class UnitGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
    inlines = [UnitInline]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "group", "active"]
    list_filter = ["group", "active"]
    search_fields = ["name", "code"]


@admin.register(UnitAccess)
class UnitAccessAdmin(admin.ModelAdmin):
    list_display = ["user", "unit"]
    list_filter = ["unit"]
    search_fields = ["user__username", "unit__name"]
    autocomplete_fields = ["unit"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "code", "email", "cpf_masked", "birth_date"]
    list_filter = ["unit"]
    search_fields = ["name", "email", "code"]
    filter_horizontal = ["guardians"]


@admin.register(SharingPolicy)
class SharingPolicyAdmin(admin.ModelAdmin):
    list_display = ["filter_name", "sharing_type", "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]
