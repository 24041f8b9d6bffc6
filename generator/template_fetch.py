"""Fetching meme templates from memegen.link's public API, or a server that answers as it does, when a user asks
(`manage.py fetch_templates`): nothing is downloaded otherwise.

`GET {source}/templates/` answers a JSON list of templates, each `{"id", "name", "lines", "blank" (the address of
its image), "example": {"text": [...]}, "source", "keywords", ...}`. Each is imported by template_save, as a folder
is: the same checks of its image and its boxes, and a template that was not fetched from that source is replaced
only with replace=True. The API gives no box geometry: a template gets `lines` bands from top to bottom (two are
the top and bottom bands); an entry that carries memegen's own `text` boxes (config.yml's) keeps them.

The server may be anyone's: only http(s), a timeout on every wait and a deadline on every response, at most
TEMPLATES_MAX_BYTES of JSON and MEME_MAX_UPLOAD_BYTES an image, measured as they arrive, images and redirects only
on the source's own host. A template that cannot be had is rejected with its reason, and the rest import.
"""

import hashlib
import http.client
import json
import time
import urllib.error
import urllib.request
from pathlib import PurePosixPath
from urllib.parse import quote, urlsplit

from django.conf import settings

from memes.layout import TOP_AND_BOTTOM

from .template_import import BadTemplate, ImportReport, config_check, slug_clashes, template_save, template_slug

DEFAULT_SOURCE = "https://api.memegen.link"
# memegen's list of about 200 templates is some 150 kB.
TEMPLATES_MAX_BYTES = 4 * 1024 * 1024
DEFAULT_TIMEOUT = 20.0
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp"}
CHUNK_BYTES = 64 * 1024


class FetchFailed(Exception):
    """The list of templates cannot be had; the message says why."""


class FetchError(Exception):
    """One address could not be read; the message says why."""


def templates_fetch(
    source: str = DEFAULT_SOURCE, *, only: list[str] | None = None, limit: int | None = None,
    replace: bool = False, timeout: float = DEFAULT_TIMEOUT, progress=None,
) -> ImportReport:  # fmt: skip
    """Import the templates that `source` lists (only those whose ids are in `only`; the first `limit`). Each response
    may take `timeout` seconds in all. FetchFailed when the list cannot be had; a template that cannot be imported is
    in the report's rejected, with its reason."""
    source = source_clean(source)
    listing = f"{source}/templates/"
    try:
        entries = json.loads(http_get(listing, max_bytes=TEMPLATES_MAX_BYTES, timeout=timeout))
    except FetchError as error:
        raise FetchFailed(str(error)) from error
    except (ValueError, RecursionError) as error:  # JSONDecodeError, a number too long, nesting too deep
        raise FetchFailed(f"{listing} did not answer JSON ({error.__class__.__name__})") from error
    if not isinstance(entries, list):
        raise FetchFailed(f"{listing} answered a JSON {type(entries).__name__}, not a list of templates")

    report = ImportReport()
    chosen: dict[str, dict] = {}
    strays = 0
    for entry in entries:
        key = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(key, str) or not key.strip():
            strays += 1
        elif key in chosen or key in report.rejected:
            chosen.pop(key, None)
            report.rejected[key] = "it is listed more than once"
        elif only is None or key in only:
            chosen[key] = entry
    if strays:
        report.rejected["(the list)"] = f"{strays} of its {len(entries)} entries are not templates with a text id"
    for key in only or []:
        if key not in chosen and key not in report.rejected:
            report.rejected[key] = f"{listing} does not list it"
    keys = list(chosen)[:limit]
    clashes = slug_clashes(keys)
    for key in progress(keys) if progress else keys:
        try:
            if key in clashes:
                raise BadTemplate(clashes[key])
            outcome = template_fetch_one(source, key, chosen[key], replace=replace, timeout=timeout)
        except BadTemplate as error:
            report.rejected[key] = str(error)
            continue
        getattr(report, outcome).append(key)
    return report


def source_clean(source: str) -> str:
    """The source's address without a trailing slash, if it is an http(s) address of a host; else FetchFailed."""
    source = source.strip().rstrip("/")
    try:
        parts = urlsplit(source)
        parts.port  # noqa: B018 - a port that is not a number raises ValueError here
    except ValueError as error:
        raise FetchFailed(f"{source!r} is not an address: {error}") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchFailed(f"{source!r} is not an http:// or https:// address")
    if parts.query or parts.fragment or len(source) > 200:
        raise FetchFailed(f"{source!r} is not a plain address of at most 200 characters")
    return source


def template_fetch_one(source: str, key: str, entry: dict, *, replace: bool, timeout: float) -> str:
    """Import one entry of the list: "created", "updated" or "skipped" (unchanged), or BadTemplate."""
    config = entry_config(key, entry)
    address = entry.get("blank")
    if not isinstance(address, str) or PurePosixPath(urlsplit(address).path).suffix.lower() not in IMAGE_SUFFIXES:
        raise BadTemplate("its blank is not the address of a .jpg, .png, .gif or .webp image")
    if _origin(address) != _origin(source):
        raise BadTemplate(f"its image is not on {source}'s host: {address[:200]}")
    try:
        image = http_get(address, max_bytes=settings.MEME_MAX_UPLOAD_BYTES, timeout=timeout)
    except FetchError as error:
        raise BadTemplate(str(error)) from error
    entry_bytes = json.dumps(entry, sort_keys=True, ensure_ascii=False).encode()
    return template_save(
        template_slug(key), origin=f"{source}/templates/{quote(key, safe='')}", origin_label=source,
        digest=hashlib.sha256(entry_bytes + b"\0" + image).hexdigest(),
        config=lambda: config, image=image, image_name=PurePosixPath(urlsplit(address).path).name, replace=replace,
    )  # fmt: skip


def entry_config(key: str, entry: dict) -> dict:
    """An entry of memegen's list as the config.yml of its template folder would say it; BadTemplate when its fields
    have types memegen never gives them."""
    example = entry.get("example")
    if example is not None and not isinstance(example, dict):
        raise BadTemplate(f"its example is {type(example).__name__}, not a mapping")
    text = entry.get("text")
    if text is None:
        lines = entry.get("lines")
        if not isinstance(lines, int) or isinstance(lines, bool) or not 1 <= lines <= settings.MEME_MAX_LINES:
            raise BadTemplate(f"its lines is {str(lines)[:20]!r}, not a number from 1 to {settings.MEME_MAX_LINES}")
        text = bands(lines)
    config = {
        "name": entry.get("name") or key,
        "source": entry.get("source"),
        "keywords": entry.get("keywords"),
        "example": (example or {}).get("text"),
        "text": text,
    }
    return config_check(config, where="its entry")


def bands(count: int) -> list[dict]:
    """`count` text boxes across the image, in memegen's terms: the top and bottom bands, and any others evenly
    between them."""
    top, bottom = TOP_AND_BOTTOM
    step = (bottom.y - top.y) / max(1, count - 1)
    return [
        {"anchor_x": top.x, "anchor_y": round(top.y + n * step, 6), "scale_x": top.width,
         "scale_y": round(min(top.height, step), 6)}
        for n in range(count)
    ]  # fmt: skip


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to the same scheme, host and port."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if _origin(newurl) != _origin(req.full_url):
            fp.close()
            raise FetchError(f"{req.full_url} redirects to another host ({newurl[:200]})")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def http_get(address: str, *, max_bytes: int, timeout: float) -> bytes:
    """The body at an http(s) address, of at most max_bytes; given up on once `timeout` seconds have passed, or a
    wait for the server has lasted that long. FetchError when it cannot be had."""
    if urlsplit(address).scheme not in ("http", "https"):
        raise FetchError(f"{address[:200]} is not an http:// or https:// address")
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(_SameHostRedirects)
    request = urllib.request.Request(address, headers={"User-Agent": "Slowmeme fetch_templates", "Accept": "*/*"})
    try:
        with opener.open(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{address} is {int(declared):,} bytes; at most {max_bytes:,}")
            body = bytearray()
            while chunk := response.read1(CHUNK_BYTES):
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError(f"{address} is more than {max_bytes:,} bytes")
                if time.monotonic() > deadline:
                    raise FetchError(f"{address} took more than {timeout:g} seconds")
            return bytes(body)
    except urllib.error.HTTPError as error:
        error.close()
        raise FetchError(f"{address} answered {error.code} {error.reason}") from error
    except urllib.error.URLError as error:
        raise FetchError(f"{address} cannot be reached ({error.reason})") from error
    except (OSError, http.client.HTTPException, ValueError) as error:  # a timeout, a reset, a broken answer
        raise FetchError(f"{address}: {error.__class__.__name__} {error}".rstrip()) from error


def _origin(address: str) -> tuple:
    try:
        parts = urlsplit(address)
        return parts.scheme, parts.hostname, parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return ()
