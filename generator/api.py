"""REST endpoints for templates, memes and jobs."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from gallery.selectors import memes_public_newest, memes_visible_to

from . import services
from .models import Job, Template
from .serializers import JobSerializer, ManualMemeSerializer, MemeSerializer, TemplateSerializer


class IsStaffOrReadOnly(permissions.BasePermission):
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
    parser_classes = [JSONParser, MultiPartParser, FormParser]


class MemeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Memes: the public ones newest first; making one answers 202 with a job to watch."""

    serializer_class = MemeSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsOwnerOrStaffToDelete]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    throttle_scope = "generate"

    def get_queryset(self):
        if self.action == "list":
            return memes_public_newest()
        return memes_visible_to(self.request.user)

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.action == "create" else super().get_throttles()

    @extend_schema(request=ManualMemeSerializer, responses={202: JobSerializer})
    def create(self, request):
        serializer = ManualMemeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.job_create(
            owner=request.user,
            lines=serializer.validated_data["lines"],
            template=serializer.validated_data.get("template"),
            background=serializer.validated_data.get("image"),
            is_public=serializer.validated_data["is_public"],
        )
        headers = {"Location": f"/api/jobs/{job.id}/"}
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED, headers=headers)


class JobViewSet(viewsets.ReadOnlyModelViewSet):
    """The user's own jobs and their progress."""

    queryset = Job.objects.select_related("meme__owner", "meme__template", "template")
    serializer_class = JobSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return self.queryset.filter(owner=self.request.user)
