import base64

from django import forms
from django.contrib import admin
from django.utils.html import format_html

from expressions.services import template_expression_propose
from memes.models import Template, TextBox
from memesite.images import ImageRejected, open_image

from .forms import TagsField
from .models import Job
from .rendering import render_meme
from .services import template_image_clean


class TextBoxInline(admin.TabularInline):
    model = TextBox
    extra = 1
    verbose_name_plural = "text boxes"  # Django's own plural of "text box" is "text boxs"
    fields = ("position", "example", "x", "y", "width", "height", "align", "angle", "style", "color", "outline", "font",
              "start", "stop")  # fmt: skip
    # Fourteen columns in one row: each field as wide as its values need, so the page fits a screen (Django's own
    # widths made it 3,337 px wide). In em; numbers 4.5, choices 7.
    WIDTHS = {"position": 3, "example": 12, "color": 6, "outline": 6}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in self.fields:
            width = self.WIDTHS.get(db_field.name, 7 if db_field.choices else 4.5)
            field.widget.attrs["style"] = f"width: {width}em"
        return field


class TemplateAdminForm(forms.ModelForm):
    def clean_image(self):
        # Django's ImageField only asks Pillow whether the header parses: a 12000² PNG or a truncated JPEG passes, and
        # then fails every render. The same check as the API and import_templates.
        image = self.cleaned_data["image"]
        if "image" in self.changed_data:
            template_image_clean(image)
        return image


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    form = TemplateAdminForm
    list_display = ("name", "slug", "expression", "box_count", "updated_at")
    list_filter = ("expression",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("preview", "proposed_expression")
    inlines = [TextBoxInline]

    def get_urls(self):
        from django.urls import path

        from .template_parse_admin import from_meme_view
        from .template_suggestions_admin import suggestions_view, thumbnail_view

        def view(function):
            return self.admin_site.admin_view(lambda request, **kwargs: function(self, request, **kwargs))

        return [
            path("from-meme/", view(from_meme_view), name="memes_template_from_meme"),
            path("suggestions/", view(suggestions_view), name="memes_template_suggestions"),
            path("suggestions/<uuid:key>.jpg", view(thumbnail_view), name="memes_template_suggestion_thumbnail"),
            *super().get_urls(),
        ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "tags":  # words separated by commas, not a list in JSON
            return TagsField()
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, template, form, change):
        super().save_model(request, template, form, change)
        if template.image and not template.expression:
            proposal = self.proposed_expression(template)
            self.message_user(request, f"Proposed expression for {template.name}: {proposal}.")

    @admin.display(description="Proposed expression")
    def proposed_expression(self, template):
        """What the expression ensemble reads on the template's largest face; staff confirm it by choosing it as
        the expression (about 50 ms a template, once the ensemble is loaded)."""
        if not template.pk or not template.image or template.expression:
            return "-"
        try:
            label = template_expression_propose(template)
        except (ImageRejected, OSError) as error:
            return f"The image cannot be read: {error}"
        return f"{label} (choose it as the expression to confirm)" if label else "none (no face was found)"

    @admin.display(description="boxes")
    def box_count(self, template):
        return template.boxes.count()

    @admin.display(description="Preview with the example lines")
    def preview(self, template):
        if not template.pk or not template.image:
            return "Save the template to see a preview."
        try:
            with template.image.open("rb") as file:
                image = open_image(file.read())
        except (ImageRejected, OSError) as error:
            return f"The image cannot be read: {error}"
        picture = render_meme(image, template.text_boxes(), template.example_lines(), width=480, format="jpeg")
        return format_html('<img src="data:image/jpeg;base64,{}" alt="preview" width="480">', base64.b64encode(picture).decode())


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "kind", "status", "progress", "created_at")
    list_filter = ("status", "kind")
    raw_id_fields = ("owner", "template", "meme", "parent")
    exclude = ("background",)  # the user's upload: private, never served
