"""The websocket gallery and meme pages open: live vote counts, new memes, memes staff hid."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from memes.selectors import memes_visible_to

from .selectors import tallies_of
from .services import GALLERY_GROUP, meme_group

MAX_WATCHED = 200


def _visible_ids(user, ids) -> list[int]:
    return list(memes_visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


def _tallies(user, ids) -> list[dict]:
    return tallies_of(memes_visible_to(user).filter(pk__in=ids))


class GalleryConsumer(AsyncJsonWebsocketConsumer):
    """Hears about every newly published meme; sends {"watch": [ids]} to hear the counts of those memes.

    A watch is answered with those memes' counts now, and those no longer to be seen as gone: a page that
    reconnects after a dropped socket catches up on what it missed meanwhile."""

    async def connect(self):
        self.groups_joined = {GALLERY_GROUP}
        await self.channel_layer.group_add(GALLERY_GROUP, self.channel_name)
        await self.accept()

    async def receive_json(self, content, **kwargs):
        ids = content.get("watch") if isinstance(content, dict) else None
        if not isinstance(ids, list) or not all(isinstance(pk, int) for pk in ids):
            await self.send_json({"type": "error", "error": 'Send {"watch": [meme ids]}.'})
            return
        if len(self.groups_joined | {meme_group(pk) for pk in ids}) > MAX_WATCHED + 1:  # + the gallery group
            await self.send_json({"type": "error", "error": f"Watch at most {MAX_WATCHED} memes at once."})
            return
        if not ids:
            return
        for pk in await database_sync_to_async(_visible_ids)(self.scope["user"], ids):
            group = meme_group(pk)
            if group not in self.groups_joined:
                self.groups_joined.add(group)
                await self.channel_layer.group_add(group, self.channel_name)
        # Read after joining, so that no vote falls between the counts and the updates.
        tallies = await database_sync_to_async(_tallies)(self.scope["user"], ids)
        gone = sorted(set(ids) - {tally["meme"] for tally in tallies})
        await self.send_json({"type": "watching", "tallies": tallies, "gone": gone})

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def meme_tally(self, event):
        await self.send_json({**event, "type": "tally"})

    async def meme_published(self, event):
        await self.send_json({"type": "published", "meme": event["meme"]})

    async def meme_hidden(self, event):
        await self.send_json({"type": "hidden", "meme": event["meme"]})
