"""Removing media files that nothing refers to any more."""

import time
from pathlib import Path

from django.core.files.storage import default_storage

from memes.models import Meme, Template
from memesite.storage import private_storage

from .models import Job


def _media_folders() -> dict:
    """The folders our models write to, each in its storage; anything else there is not ours to remove."""
    return {"memes": private_storage(), "backgrounds": private_storage(), "templates": default_storage}


def media_orphans(older_than: float) -> list[str]:
    """Files in the models' media folders that no meme, job or template names, untouched for `older_than` seconds
    (younger ones may belong to a meme being saved right now)."""
    referenced = set()
    for model, fields in ((Meme, ("image", "background")), (Job, ("background",)), (Template, ("image",))):
        for names in model.objects.values_list(*fields):
            referenced.update(name for name in names if name)
    cutoff = time.time() - older_than
    orphans = []
    for folder, storage in _media_folders().items():
        root = Path(storage.location)
        for path in (root / folder).rglob("*"):
            name = path.relative_to(root).as_posix()
            if path.is_file() and name not in referenced and path.stat().st_mtime < cutoff:
                orphans.append(name)
    return sorted(orphans)


def media_orphans_remove(older_than: float = 24 * 60 * 60) -> list[str]:
    """Remove the orphan media files; answers their names."""
    orphans = media_orphans(older_than)
    folders = _media_folders()
    for name in orphans:
        folders[name.split("/", 1)[0]].delete(name)
    return orphans
