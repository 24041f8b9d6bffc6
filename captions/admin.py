import base64
import io

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import path
from django.utils.html import format_html

from .experiments import experiment_arms, experiment_stop
from .learning import run_request
from .models import Caption, CaptionModelVersion, Experiment, ScorerVersion, TrainingRun
from .services import model_version_activate, model_version_folder


def _png(data: bytes, alt: str, width: int = 600) -> str:
    return format_html('<img src="data:image/png;base64,{}" alt="{}" width="{}">', base64.b64encode(data).decode(), alt, width)


def _activate_one(model_admin, request, queryset) -> None:
    """The version picked (a caption model's, a scorer's) made active."""
    if queryset.count() != 1:
        model_admin.message_user(request, "Pick exactly one version to make active.", messages.ERROR)
        return
    version = model_version_activate(queryset.get())
    model_admin.message_user(request, f"{version.name} is active: workers load it before their next task.")


@admin.register(Caption)
class CaptionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "template", "dataset", "votes", "views")
    list_filter = ("dataset",)
    search_fields = ("template__slug", "title", "external_id")
    raw_id_fields = ("template",)


@admin.register(CaptionModelVersion)
class CaptionModelVersionAdmin(admin.ModelAdmin):
    list_display = ("name", "state", "is_active", "heldout_perplexity", "gate_summary", "created_at", "activated_at")
    list_filter = ("state", "is_active")
    readonly_fields = ("name", "path", "head", "base", "state", "gate", "metrics", "training_curve", "created_at", "activated_at")
    actions = ["activate"]
    change_list_template = "admin/captions/captionmodelversion/change_list.html"

    @admin.display(description="held-out perplexity")
    def heldout_perplexity(self, version):
        fixed = version.gate.get("sets", {}).get("fixed", {}).get("candidate")
        value = fixed or version.metrics.get("heldout_perplexity")
        return f"{value:.1f}" if value else "—"

    @admin.display(description="gate")
    def gate_summary(self, version):
        return version.gate.get("summary", "—")

    @admin.display(description="training curve")
    def training_curve(self, version):
        curve = model_version_folder(version) / "loss.png"
        return _png(curve.read_bytes(), "loss per epoch") if curve.exists() else "No curve was saved."

    @admin.action(description="Make active (roll back or forward to this version)")
    def activate(self, request, queryset):
        _activate_one(self, request, queryset)

    def changelist_view(self, request, extra_context=None):
        """Above the list: every version's perplexity on the held-out sets, oldest first."""
        from ml.captions.plots import plot_version_comparison  # matplotlib: loaded when a page draws a plot

        rows = []
        for version in CaptionModelVersion.objects.order_by("created_at"):
            values = {name: s["candidate"] for name, s in version.gate.get("sets", {}).items()}
            if not values and version.metrics.get("heldout_perplexity"):
                values = {"training held-out": version.metrics["heldout_perplexity"]}
            if values:
                rows.append((version.name, values))
        buffer = io.BytesIO()
        plot_version_comparison(rows, buffer)
        extra_context = {**(extra_context or {}), "comparison": _png(buffer.getvalue(), "versions compared", 800)}
        return super().changelist_view(request, extra_context)


@admin.register(ScorerVersion)
class ScorerVersionAdmin(admin.ModelAdmin):
    list_display = ("name", "state", "is_active", "heldout_auc", "created_at", "activated_at")
    list_filter = ("state", "is_active")
    readonly_fields = ("name", "path", "vectors_path", "base", "state", "gate", "created_at", "activated_at")
    actions = ["activate"]

    def has_add_permission(self, request):
        return False  # versions come from the bundle and the learning loop

    @admin.display(description="held-out site pairs: AUC (active then)")
    def heldout_auc(self, version):
        gate = version.gate
        if not gate.get("heldout_pairs"):
            return "—"
        return f"{gate['candidate']:.3f} ({gate['active']:.3f}) on {gate['heldout_pairs']} pairs"

    @admin.action(description="Make active (roll back or forward to this scorer)")
    def activate(self, request, queryset):
        _activate_one(self, request, queryset)


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "status", "progress_percent", "stage", "candidate", "requested_by", "finished_at")
    list_filter = ("status",)
    readonly_fields = ("status", "progress", "stage", "options", "requested_by", "candidate", "outcome", "created_at", "finished_at")
    change_list_template = "admin/captions/trainingrun/change_list.html"

    @admin.display(description="progress")
    def progress_percent(self, run):
        return f"{run.progress:.0%}"

    def has_add_permission(self, request):
        return False  # runs start from the "Retrain now" button or the schedule

    def get_urls(self):
        retrain = path("retrain/", self.admin_site.admin_view(self.retrain_now), name="captions_trainingrun_retrain")
        return [retrain, *super().get_urls()]

    def retrain_now(self, request):
        if request.method != "POST" or not self.has_change_permission(request):
            return redirect("admin:captions_trainingrun_changelist")
        run = run_request(user=request.user)
        self.message_user(request, f"Training run {run.pk} is queued; this page shows its progress.")
        return redirect("admin:captions_trainingrun_changelist")


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    """Live experiments: how each arm is doing, the estimate over time, and a button to stop one."""

    list_display = ("candidate", "control", "status", "share_percent", "arms", "estimate", "started_at", "deadline")
    list_filter = ("status",)
    readonly_fields = (
        "candidate", "control", "status", "share", "started_at", "deadline", "ended_at", "outcome", "arms",
        "estimate", "estimate_over_time",
    )  # fmt: skip
    exclude = ("history",)
    actions = ["stop"]

    def has_add_permission(self, request):
        return False  # a candidate enters an experiment by passing the learning loop's gate

    @admin.display(description="share")
    def share_percent(self, experiment):
        return f"{experiment.share:.0%}"

    @admin.display(description="memes and votes per arm")
    def arms(self, experiment):
        return "; ".join(
            f"{arm}: {tally.memes} memes, {tally.ups} up, {tally.downs} down"
            for arm, tally in experiment_arms(experiment).items()
        )

    @admin.display(description="candidate liked more (interval)")
    def estimate(self, experiment):
        if not experiment.history:
            return "Not judged yet."
        last = experiment.history[-1]
        return (
            f"P = {last['probability']:.2f}; up-vote share {last['estimate']:+.3f} against the control "
            f"({last['low']:+.3f} to {last['high']:+.3f})"
        )

    @admin.display(description="over time")
    def estimate_over_time(self, experiment):
        from ml.captions.plots import plot_experiment  # matplotlib: loaded when a page draws a plot

        if not experiment.history:
            return "Not judged yet."
        buffer = io.BytesIO()
        plot_experiment(experiment.history, buffer)
        return _png(buffer.getvalue(), "the candidate's estimate over time")

    @admin.action(description="Stop (the candidate is not promoted)")
    def stop(self, request, queryset):
        for experiment in queryset.filter(status=Experiment.Status.RUNNING):
            experiment_stop(experiment, request.user)
            self.message_user(request, f"Stopped: {experiment}.")
