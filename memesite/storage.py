"""Media storage that writes each file whole or not at all."""

import os
import tempfile

from django.core.files.storage import FileSystemStorage


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
