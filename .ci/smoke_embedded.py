"""Start `make run` on a fresh var/ folder, sign up, make a meme through the API, fetch its image."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"


def call(method, path, body=None, token=None):
    request = urllib.request.Request(BASE + path, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


def wait_for_site(site, deadline):
    while time.time() < deadline:
        if site.poll() is not None:
            sys.exit(f"make run exited with {site.returncode}")
        try:
            call("GET", "/api/templates/")
            return
        except OSError:
            time.sleep(0.5)
    sys.exit("the site did not answer in time")


def make_meme(token, request):
    """POST a meme, wait for its job, fetch the image."""
    status, body = call("POST", "/api/memes/", request, token)
    assert status == 202, status
    job = json.loads(body)
    started = time.time()
    while job["status"] not in ("succeeded", "failed") and time.time() - started < 60:
        time.sleep(0.2)
        job = json.loads(call("GET", f"/api/jobs/{job['id']}/", token=token)[1])
    assert job["status"] == "succeeded", job
    meme = job["meme"]
    with urllib.request.urlopen(meme["image"] if meme["image"].startswith("http") else BASE + meme["image"]) as response:
        picture = response.read()
    # A JPEG, or a GIF on an animated template (the first starter template by name is one).
    assert picture[:3] == b"\xff\xd8\xff" or picture[:4] == b"GIF8", "the meme is neither a JPEG nor a GIF"
    print(
        f"embedded smoke test: {meme['source']} meme {meme['id']} on {meme['template']} ({' / '.join(meme['lines'])!r}, "
        f"model {meme['model_version'] or '-'}) rendered in {time.time() - started:.2f} s, {len(picture)} bytes"
    )


def main():
    env = {**os.environ, "SLOWMEME_VAR_DIR": tempfile.mkdtemp(prefix="slowmeme-smoke-"), "PORT": str(PORT)}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    site = subprocess.Popen(["make", "run"], env=env, start_new_session=True)
    try:
        wait_for_site(site, time.time() + 180)
        _, body = call("POST", "/api/users/", {"username": "smoke", "password": "a long smoke-test password"})
        token = json.loads(body)["token"]
        _, body = call("GET", "/api/templates/")
        slug = json.loads(body)["results"][0]["slug"]
        for request in ({"lines": ["smoke test", "passed"]}, {"source": "title", "title": "when the smoke test passes"}):
            make_meme(token, {"template": slug, **request})
    finally:
        os.killpg(site.pid, signal.SIGTERM)
        site.wait(timeout=30)


if __name__ == "__main__":
    main()
