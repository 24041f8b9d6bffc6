"""/api/memes/: the memes the generator makes, with the gallery's part: ranked listings, votes, reports, hiding."""

from dataclasses import asdict

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from generator import api as generator_api
from generator.serializers import MemeSerializer, as_drf_error
from memes.models import Meme
from memes.selectors import memes_visible_to

from . import services
from .pagination import GalleryCursor
from .selectors import gallery_memes
from .serializers import (
    GalleryQuerySerializer,
    HideSerializer,
    PublishSerializer,
    ReportSerializer,
    TallySerializer,
    VoteSerializer,
)


class GalleryActions:
    """Mixed into the memes viewset: everything that ranks memes or acts on them after they are made."""

    pagination_class = GalleryCursor

    @extend_schema(parameters=[GalleryQuerySerializer])
    def list(self, request):
        """The gallery: public memes ranked hot (the default), best, top (over a period) or new; one template's
        or one user's with `template` or `user`. Pages are cursors: follow `next`."""
        query = GalleryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        options = query.validated_data
        memes = gallery_memes(
            request.user, options["sort"], options["period"], options.get("template"), options.get("user")
        )
        paginator = GalleryCursor(options["sort"])
        page = paginator.paginate_queryset(memes, request, view=self)
        votes = services.votes_of(request.user, page)
        serializer = MemeSerializer(page, many=True, context={"request": request, "votes": votes})
        return paginator.get_paginated_response(serializer.data)

    def retrieve(self, request, pk=None):
        meme = self._meme(request, pk)
        votes = services.votes_of(request.user, [meme])
        return Response(MemeSerializer(meme, context={"request": request, "votes": votes}).data)

    @extend_schema(request=VoteSerializer, responses={200: TallySerializer})
    @action(detail=True, methods=["put", "delete"], permission_classes=[permissions.IsAuthenticated])
    def vote(self, request, pk=None):
        """PUT {"value": 1} votes up, -1 down, 0 takes the vote back, as does DELETE. You can't vote on your own
        memes. Answers the meme's new counts and your vote."""
        value = 0
        if request.method == "PUT":
            serializer = VoteSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            value = serializer.validated_data["value"]
        return Response(asdict(_acting_on_meme(services.vote_cast, request.user, pk, value)))

    @extend_schema(request=ReportSerializer, responses={201: None})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def report(self, request, pk=None):
        """Tell staff that a meme breaks the rules; once per meme."""
        serializer = ReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        meme = self._meme(request, pk)
        _acting_on_meme(services.meme_report, request.user, meme, serializer.validated_data["reason"])
        return Response(status=status.HTTP_201_CREATED)

    @extend_schema(request=HideSerializer, responses={200: MemeSerializer})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAdminUser])
    def hide(self, request, pk=None):
        """Staff: hide a meme from the gallery ({"hidden": false} brings it back)."""
        serializer = HideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        meme = services.meme_hide(self._meme(request, pk), serializer.validated_data["hidden"])
        return Response(MemeSerializer(meme, context={"request": request}).data)

    @extend_schema(request=PublishSerializer, responses={200: MemeSerializer})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def publish(self, request, pk=None):
        """Your own meme: show it in the public gallery ({"public": false} makes it private again)."""
        serializer = PublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        meme = services.meme_publish(request.user, self._meme(request, pk), serializer.validated_data["public"])
        return Response(MemeSerializer(meme, context={"request": request}).data)

    @staticmethod
    def _meme(request, pk) -> Meme:
        meme = memes_visible_to(request.user).filter(pk=pk).first()
        if meme is None:
            raise Http404("No such meme.")
        return meme


def _acting_on_meme(act, *args):
    """Run a gallery rule, answering its refusals as HTTP: 404 no such meme, 403 (DRF's) not yours, 400 bad input."""
    try:
        return act(*args)
    except Meme.DoesNotExist as error:
        raise Http404("No such meme.") from error
    except DjangoValidationError as error:
        raise as_drf_error(error) from error


class MemeViewSet(GalleryActions, generator_api.MemeViewSet):
    """Memes: the gallery ranked; making one answers 202 with a job to watch."""

    throttle_actions = {**generator_api.MemeViewSet.throttle_actions, "vote": "vote"}
