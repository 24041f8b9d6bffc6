from django.contrib import admin

from .models import Report, Vote


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
