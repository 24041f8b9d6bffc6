"""REST endpoints for templates, memes and jobs."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from expressions.serializers import FaceLabelSerializer
from memes.models import Meme, Template
from memes.selectors import memes_visible_to
from memesite.parsers import JSONParser

from . import services, template_parse
from .models import Job
from .serializers import (
    ChooseCaptionSerializer,
    ChooseFaceSerializer,
    JobLabelledFaceSerializer,
    JobSerializer,
    ManualJsonMemeSerializer,
    ManualMemeSerializer,
    MemeFormSerializer,
    MemeSerializer,
    PhotoMemeSerializer,
    RemixSerializer,
    TemplateSerializer,
    TitleMemeSerializer,
    as_drf_error,
)

# JSON carries no files: a meme on a template, by hand or from a title; a photo or your own image come as multipart.
MEME_CREATE_JSON = PolymorphicProxySerializer(
    component_name="MemeCreate",
    serializers={"manual": ManualJsonMemeSerializer, "title": TitleMemeSerializer},
    resource_type_field_name="source",
)


def _accepted(request, job) -> Response:
    data = JobSerializer(job, context={"request": request}).data  # the request makes image addresses absolute
    return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": f"/api/jobs/{job.id}/"})


class IsStaffOrReadOnly(permissions.IsAuthenticatedOrReadOnly):
    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or bool(request.user and request.user.is_staff)


class IsOwnerOrStaffToDelete(permissions.BasePermission):
    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or obj.owner_id == request.user.pk or request.user.is_staff


class TemplateViewSet(viewsets.ModelViewSet):
    """Meme templates: everyone reads them, staff write them."""

    queryset = Template.objects.prefetch_related("boxes")
    serializer_class = TemplateSerializer
    permission_classes = [IsStaffOrReadOnly]
    lookup_field = "slug"
    lookup_value_regex = r"[-\w]+"  # a slug's letters: nothing PostgreSQL cannot compare (a NUL byte)
    parser_classes = [JSONParser, MultiPartParser]  # an image needs multipart
    throttle_actions = {"recognise": "generate"}  # open to every user, and a meme takes a tenth of a second to read

    @extend_schema(
        request={"multipart/form-data": template_parse.FromMemeSerializer},
        responses={200: template_parse.ProposalSerializer, 201: template_parse.ProposalSerializer},
    )
    @action(detail=False, methods=["post"], url_path="from-meme", parser_classes=[MultiPartParser])
    def from_meme(self, request):
        """Staff: propose a template from a captioned meme (`image`): its text read, lifted off, and boxed. With
        `save` and a `name`, the proposal is saved as a new template (201), the caption read as its examples."""
        serializer = template_parse.FromMemeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            answer, saved = template_parse.from_meme_answer(serializer.validated_data)
        except DjangoValidationError as error:
            raise as_drf_error(error) from error
        return Response(answer, status=status.HTTP_201_CREATED if saved else status.HTTP_200_OK)

    @extend_schema(request={"multipart/form-data": template_parse.RecogniseSerializer},
                   responses={200: template_parse.RecognisedSerializer})  # fmt: skip
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser],
            permission_classes=[permissions.IsAuthenticated])  # fmt: skip
    def recognise(self, request):
        """The known template a meme (`image`) was made on, by a perceptual hash of its picture outside the text;
        `template` is null when it matches none. Offer it in place of an own image."""
        serializer = template_parse.RecogniseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            return Response(template_parse.recognise_answer(serializer.validated_data))
        except DjangoValidationError as error:
            raise as_drf_error(error) from error


class MemeViewSet(mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Memes: making one answers 202 with a job to watch; the gallery (gallery.api) adds listing and voting."""

    serializer_class = MemeSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsOwnerOrStaffToDelete]
    parser_classes = [JSONParser, MultiPartParser]  # a photo or an image needs multipart
    throttle_actions = {"create": "generate", "remix": "generate"}
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return memes_visible_to(self.request.user)

    @extend_schema(
        request={"application/json": MEME_CREATE_JSON, "multipart/form-data": MemeFormSerializer},
        responses={202: JobSerializer},
    )
    def create(self, request):
        """Make a meme: `source: "manual"` (the default) with your lines, `source: "title"` with a title for
        the caption model, or `source: "photo"` with a `photo` (multipart) whose expression picks the meme.
        Answers 202 with the job; watch it at /api/jobs/<id>/ or /ws/jobs/<id>/."""
        # The body picks the serializer; one that is not an object (a JSON list) gets the manual one's clear 400.
        source = request.data.get("source") if hasattr(request.data, "get") else None
        if source == Meme.Source.PHOTO:
            serializer = PhotoMemeSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            try:
                return _accepted(request, services.job_create_photo(
                    owner=request.user, photo=data["photo"], title=data["title"], face=data.get("face"),
                    on_photo=data["on_photo"], is_public=data["is_public"],
                ))  # fmt: skip
            except DjangoValidationError as error:
                raise as_drf_error(error) from error
        if source == Meme.Source.TITLE:
            serializer = TitleMemeSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            return _accepted(request, services.job_create_titled(
                owner=request.user, template=data["template"], title=data["title"], is_public=data["is_public"]
            ))  # fmt: skip
        serializer = ManualMemeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.job_create(
            owner=request.user,
            lines=serializer.validated_data["lines"],
            template=serializer.validated_data.get("template"),
            background=serializer.validated_data.get("image"),
            boxes=serializer.validated_data.get("boxes"),
            is_public=serializer.validated_data["is_public"],
        )
        return _accepted(request, job)

    @extend_schema(request=RemixSerializer, responses={202: JobSerializer})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def remix(self, request, pk=None):
        """Make a new meme from this one's template (or image and boxes) and caption, with `lines` if you change
        it; the new meme links back to this one. Any gallery meme, and your own."""
        serializer = RemixSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        parent = get_object_or_404(services.memes_remixable_by(request.user), pk=pk)
        try:
            return _accepted(request, services.meme_remix(owner=request.user, parent=parent, **serializer.validated_data))
        except DjangoValidationError as error:
            raise as_drf_error(error) from error


class JobViewSet(viewsets.ReadOnlyModelViewSet):
    """The user's own jobs and their progress."""

    queryset = Job.objects.select_related("meme__owner", "meme__template", "template")
    serializer_class = JobSerializer
    permission_classes = [permissions.IsAuthenticated]
    throttle_actions = {"choose": "generate", "face": "generate"}
    lookup_value_regex = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

    def get_queryset(self):
        return self.queryset.filter(owner=self.request.user)

    def _redo(self, request, pk, serializer_class, redo) -> Response:
        """Make a finished meme again from the caption or face the user picked (the serializer's one field)."""
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = get_object_or_404(self.get_queryset(), pk=pk)
        (number,) = serializer.validated_data.values()
        try:
            return _accepted(request, redo(job, number))
        except DjangoValidationError as error:
            raise as_drf_error(error) from error

    @extend_schema(request=ChooseCaptionSerializer, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def choose(self, request, pk=None):
        """Title mode: draw the meme again with another of the captions the model wrote."""
        return self._redo(request, pk, ChooseCaptionSerializer, services.job_choose)

    @extend_schema(request=ChooseFaceSerializer, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def face(self, request, pk=None):
        """Photo mode: make the meme again from another of the faces found."""
        return self._redo(request, pk, ChooseFaceSerializer, services.job_face_choose)

    @extend_schema(request=FaceLabelSerializer, responses={201: JobLabelledFaceSerializer})
    @action(detail=True, methods=["post"])
    def expression(self, request, pk=None):
        """Photo mode: say which expression a face really shows. It is kept as a labelled face, and the ensemble's
        per-class weights are refitted on all of them."""
        serializer = FaceLabelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            labelled = services.job_face_label(job, user=request.user, **serializer.validated_data)
        except DjangoValidationError as error:
            raise as_drf_error(error) from error
        return Response(JobLabelledFaceSerializer(labelled, context={"job": job}).data, status=status.HTTP_201_CREATED)
