"""Media storage that writes each file whole or not at all."""

import os
import tempfile

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.utils.functional import cached_property


class AtomicFileSystemStorage(FileSystemStorage):
    """A file is written under a temporary name beside its place, flushed to disk, then linked into place in one
    step: a crash or a full disk mid-write leaves no half image under a name the database knows (only a
    `.tmp-` file, which remove_orphan_media clears)."""

    TEMPORARY_PREFIX = ".tmp-"

    def _save(self, name, content):
        directory = os.path.dirname(self.path(name))
        os.makedirs(directory, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=self.TEMPORARY_PREFIX)
        try:
            with os.fdopen(handle, "wb") as file:
                if hasattr(content, "seek"):
                    content.seek(0)
                for chunk in content.chunks():
                    file.write(chunk)
                file.flush()
                os.fsync(file.fileno())
            if self.file_permissions_mode is not None:
                os.chmod(temporary, self.file_permissions_mode)
            while True:
                try:
                    os.link(temporary, self.path(name))  # atomic, and never over another file
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
        finally:
            os.unlink(temporary)
        return str(name).replace("\\", "/")


class PrivateStorage(AtomicFileSystemStorage):
    """Uploads and rendered memes, kept in PRIVATE_MEDIA_ROOT, apart from MEDIA_ROOT: nothing that serves the media
    folder (Django's /media/, a web server, a CDN) can hand them out. A meme's image is served at its own address
    (/m/<id>/<key>), to who may see the meme; an upload is never served."""

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name):
        raise ValueError(f"{name} is private: it has no public address.")


def private_storage() -> PrivateStorage:
    """A FileField's storage=: a callable, so that migrations name it rather than copy it."""
    return storages["private"]
