from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from .models import FusionWeights, LabelledFace
from .services import weights_refit_queue


@admin.register(LabelledFace)
class LabelledFaceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "thumbnail", "label", "labelled_by", "photo", "created_at")
    list_filter = ("label",)
    fields = ("thumbnail", "label", "labelled_by", "photo", "face", "member_probs", "created_at")
    readonly_fields = fields
    actions = ["refit"]

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        # admin_view: staff only (others are sent to log in), and never cached.
        view = self.admin_site.admin_view(self.image_view)
        return [path("<int:face_id>/image/", view, name="expressions_labelledface_image"), *super().get_urls()]

    def image_view(self, request, face_id):
        """A face's crop, to staff who may view labelled faces: the crops are private files with no public address."""
        face = get_object_or_404(LabelledFace, pk=face_id)
        if not self.has_view_permission(request, face):
            raise PermissionDenied
        try:
            return FileResponse(face.image.open("rb"), content_type="image/png")
        except FileNotFoundError:
            raise Http404("This face's crop is missing.") from None

    @admin.display(description="face")
    def thumbnail(self, face):
        address = reverse("admin:expressions_labelledface_image", args=[face.pk])
        return format_html('<img src="{}" alt="{} face" height="64">', address, face.label)

    @admin.action(description="Refit the fusion weights on all labelled faces (e.g. after deleting wrong ones)")
    def refit(self, request, queryset):
        weights_refit_queue()
        self.message_user(request, "A refit of the fusion weights is queued.")


@admin.register(FusionWeights)
class FusionWeightsAdmin(admin.ModelAdmin):
    """Read-only: a fit is made by the refit task; the newest is the one in use."""

    list_display = ("__str__", "faces", "created_at")
    fields = ("weights", "faces", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Weights (members × classes) and each member's temperature")
    def weights(self, fit):
        header = format_html_join("", '<th scope="col">{}</th>', ((name,) for name in fit.classes))
        cells = (format_html_join("", "<td>{}</td>", ((f"{weight:.3f}",) for weight in row)) for row in fit.matrix)
        temperatures = fit.temperatures or [1.0] * len(fit.members)  # fits made before temperatures: none, 1
        rows = format_html_join(
            "", '<tr><th scope="row">{}</th>{}<td>{}</td></tr>',
            ((member, row, f"{t:.2f}") for member, row, t in zip(fit.members, cells, temperatures)),
        )  # fmt: skip
        return format_html(
            '<table><thead><tr><td></td>{}<th scope="col" class="temperature">temperature</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            header, rows,
        )  # fmt: skip
