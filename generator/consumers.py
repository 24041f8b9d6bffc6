"""The websocket a browser opens to watch its job."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .models import Job
from .serializers import JobSerializer

FORBIDDEN = 4403


def _job_state(job_id, user):
    """The job's current state, if this user may watch it."""
    job = Job.objects.select_related("meme__owner", "meme__template", "template").filter(pk=job_id).first()
    if job is None or not user.is_authenticated or job.owner_id != user.pk:
        return None
    return job.group_name, JobSerializer(job).data


class JobConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        found = await database_sync_to_async(_job_state)(self.scope["url_route"]["kwargs"]["job_id"], self.scope["user"])
        if found is None:
            await self.close(code=FORBIDDEN)
            return
        self.group_name = found[0]
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        # Read again after joining the group, so that no update falls between the two.
        _, state = await database_sync_to_async(_job_state)(self.scope["url_route"]["kwargs"]["job_id"], self.scope["user"])
        await self.send_json(state)

    async def disconnect(self, code):
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def job_update(self, event):
        await self.send_json(event["job"])
