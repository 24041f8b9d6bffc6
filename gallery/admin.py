from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html

from memes.models import Meme

from .models import Report, Vote
from .services import meme_hide


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("meme", "reporter", "reason", "created_at")
    search_fields = ("reason", "reporter__username")
    raw_id_fields = ("meme", "reporter")


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    """Votes are read here, never edited: a meme's tally is kept in step with them by gallery.services."""

    list_display = ("meme", "user", "value", "updated_at")
    list_filter = ("value",)
    raw_id_fields = ("meme", "user")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Meme)
class MemeAdmin(admin.ModelAdmin):
    list_display = ("id", "caption", "owner", "template", "source", "score", "report_count", "is_public", "is_hidden", "created_at")
    list_filter = ("source", "is_public", "is_hidden")
    search_fields = ("owner__username", "template__slug")
    raw_id_fields = ("owner", "template", "parent")  # a select of every meme would be the whole gallery
    readonly_fields = ("picture", "ups", "downs", "score", "hot", "best", "created_at")
    exclude = ("image", "background")  # private files: the worker writes them, and they have no public address
    actions = ["hide", "unhide"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner", "template").annotate(report_count=Count("reports"))

    @admin.display(description="image")
    def picture(self, meme):
        return format_html('<img src="{}" alt="{}" height="240">', meme.get_image_url(), meme.caption) if meme.pk else "-"

    @admin.display(ordering="report_count", description="reports")
    def report_count(self, meme):
        return meme.report_count

    @admin.action(description="Hide from the gallery")
    def hide(self, request, queryset):
        for meme in queryset:
            meme_hide(meme, hidden=True)

    @admin.action(description="Show in the gallery again")
    def unhide(self, request, queryset):
        for meme in queryset:
            meme_hide(meme, hidden=False)
