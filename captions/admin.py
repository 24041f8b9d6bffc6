from django.contrib import admin

from .models import Caption, CaptionModelVersion


@admin.register(Caption)
class CaptionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "template", "dataset", "votes", "views")
    list_filter = ("dataset",)
    search_fields = ("template__slug", "title", "external_id")
    raw_id_fields = ("template",)


@admin.register(CaptionModelVersion)
class CaptionModelVersionAdmin(admin.ModelAdmin):
    list_display = ("name", "head", "is_active", "created_at", "activated_at")
    readonly_fields = ("name", "path", "head", "metrics", "created_at", "activated_at")
