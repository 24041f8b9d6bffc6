"""The embedded mode's Celery broker: kombu's filesystem transport, with messages that appear whole.

Kombu writes a message into its final file name and only then fills it; its reader takes any file with that
name, without waiting for the writer's lock. A worker polling while a web thread queues a job could take the
file while it was still empty, fail to decode it, and drop it: the job stayed "queued" (seen under load in
bench_load). Here a message is written under a name the reader skips, then renamed into place in one step."""

import os
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # "<queue>.msg.partial" is not the "<queue>.msg" the reader looks for.
        partial = final + ".partial"
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as error:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from error


class Transport(filesystem.Transport):
    Channel = Channel
