"""Static files answered in the event loop, before Django sees the request.

ServeStatic's middleware is async-only: inside Django's chain of sync middleware it made every request, static or
not, cross between the event loop and Django's threads many times (about a third of a vote's server time). As
an ASGI wrapper it costs a dictionary lookup. The files are the ones Django's finders know (no collectstatic
needed), the first finder's copy winning as it does for collectstatic."""

from django.conf import settings
from django.contrib.staticfiles import finders
from servestatic import ServeStaticASGI


def static_files_first(application):
    # root: files answered at the site's root, such as /favicon.ico, which browsers ask for on every page.
    served = ServeStaticASGI(application, autorefresh=settings.DEBUG, root=settings.BASE_DIR / "memesite" / "root")
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    # add_files lets a later directory replace an earlier one's file: add them last finder first.
    for finder in reversed(list(finders.get_finders())):
        for storage in reversed(list(getattr(finder, "storages", {}).values())):
            storage_prefix = (getattr(storage, "prefix", None) or "").strip("/")
            served.add_files(storage.location, prefix + (storage_prefix + "/" if storage_prefix else ""))
    return served
