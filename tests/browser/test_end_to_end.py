"""End to end in a real browser, against the live site and its real worker. A newcomer browses a fresh site before
signing up, brings real templates from a memegen.link served on loopback, and watches the caption model write a
title-mode meme's caption. Then: sign up, make a title-mode meme, see it arrive live on someone else's gallery page,
have them upvote it there, and see the count change live on the maker's own page of it."""

import io
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from ..test_fetch_templates import Server, entry, serve_list
from .conftest import manage

# The server process writes to the test database: the test sees committed rows, and the tables are emptied after.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long and unusual passphrase 42"
WAIT_MS = 120_000  # the first caption loads the caption model, on a busy machine
expect.set_options(timeout=30_000)  # every other wait: generous on a busy 2-core machine, not Playwright's 5 s


def sign_up(browser, base_url, username):
    context = browser.new_context(base_url=base_url, viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name=username)).to_be_visible()
    return page


# Every state the job page shows (its stage, whether the meme's image is there), kept in
# sessionStorage so that the page's reload when the candidates arrive loses none. A MutationObserver records each
# change as the page makes it: nothing depends on catching a state at the moment a test looks.
RECORD_JOB_STATES = """
document.addEventListener("DOMContentLoaded", () => {
  const job = document.getElementById("job");
  if (!job) return;
  function record() {
    const image = document.querySelector("#result img");
    const state = {stage: job.querySelector(".stage").textContent.trim(),
                   image: Boolean(image && image.getAttribute("src")), caption: image ? image.alt : ""};
    const states = JSON.parse(sessionStorage.getItem("jobStates") || "[]");
    const last = states[states.length - 1];
    if (last && JSON.stringify(last) === JSON.stringify(state)) return;
    states.push(state);
    sessionStorage.setItem("jobStates", JSON.stringify(states));
  }
  record();
  new MutationObserver(record).observe(document.body,
                                      {subtree: true, childList: true, characterData: true, attributes: true});
});
"""


def picture(size, draw) -> bytes:
    image = Image.new("RGB", size, "white")
    draw(ImageDraw.Draw(image), *size)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def drake_like(canvas, width, height):
    """Two panels on the left (a face turning away, a face approving), white on the right for the text."""
    half, mid = width // 2, height // 2
    canvas.rectangle((0, 0, half, mid), fill=(244, 166, 35))
    canvas.rectangle((0, mid, half, height), fill=(250, 200, 80))
    for top, mood in ((0, "no"), (mid, "yes")):
        cx, cy = half // 2, top + mid // 2
        canvas.ellipse((cx - 70, cy - 80, cx + 70, cy + 80), fill=(120, 80, 50))
        if mood == "no":
            canvas.rectangle((cx + 40, cy - 60, cx + 110, cy + 10), fill=(90, 60, 40))  # a hand up: no
        else:
            canvas.arc((cx - 40, cy, cx + 40, cy + 50), 0, 180, fill="white", width=6)  # a smile
            canvas.rectangle((cx + 50, cy + 10, cx + 120, cy + 30), fill=(90, 60, 40))  # pointing: yes
    canvas.line((half, 0, half, height), fill="black", width=3)
    canvas.line((0, mid, width, mid), fill="black", width=3)


def buzz_like(canvas, width, height):
    canvas.rectangle((0, 0, width, height), fill=(60, 120, 200))
    canvas.ellipse((width // 2 - 90, height // 2 - 100, width // 2 + 90, height // 2 + 100), fill=(240, 220, 200))
    canvas.rectangle((0, height - 60, width, height), fill=(90, 170, 90))


@pytest.fixture
def memegen():
    """memegen.link's API on loopback, with two templates: Drake (the caption model learned it as
    drake-hotline-bling) with its text on the right, and Buzz with top and bottom lines."""
    server = Server()
    right_half = [{"anchor_x": 0.5, "anchor_y": 0.0, "scale_x": 0.5, "scale_y": 0.5},
                  {"anchor_x": 0.5, "anchor_y": 0.5, "scale_x": 0.5, "scale_y": 0.5}]  # fmt: skip
    serve_list(server, [
        entry(server, "drake", "Drakeposting", example=("writing tests", "shipping on friday"), text=right_half),
        entry(server, "buzz", "X, X Everywhere", example=("memes", "memes everywhere")),
    ], images={"drake": picture((600, 600), drake_like), "buzz": picture((600, 400), buzz_like)})  # fmt: skip
    yield server
    server.close()


def not_asked_to_log_in(page, path):
    page.goto(path)
    assert "/accounts/login/" not in page.url, f"{path} sent an anonymous visitor to log in"


def test_a_newcomer_browses_brings_real_templates_and_sees_the_caption_written(
    chromium, live_site, site_env, memegen, screenshots
):
    # A fresh site, for an anonymous visitor: the gallery and the templates open, and say where the real ones come from.
    visitor = chromium.new_context(base_url=live_site, viewport={"width": 1000, "height": 900}).new_page()
    not_asked_to_log_in(visitor, "/")
    hint = visitor.locator(".starter-hint")
    expect(hint).to_contain_text("manage.py fetch_templates")
    screenshots(visitor, "home")
    not_asked_to_log_in(visitor, "/new/")
    not_asked_to_log_in(visitor, "/make/")
    expect(visitor.locator(".picker li").first).to_be_visible()
    expect(hint).to_be_visible()
    screenshots(visitor, "template-list-starters")
    visitor.locator(".picker li a").first.click()
    assert re.search(r"/make/[-\w]+/$", visitor.url) and "/accounts/login/" not in visitor.url
    expect(visitor.get_by_role("link", name=re.compile("log in", re.I)).first).to_be_visible()
    not_asked_to_log_in(visitor, "/t/chelsea-the-cat/")  # a template's gallery
    answer = visitor.goto("/no-such-page/")
    assert answer.status == 404
    expect(visitor.get_by_role("navigation", name="Main")).to_be_visible()
    screenshots(visitor, "404")

    # The one command, against memegen's API on loopback.
    env = {name: value for name, value in site_env.items() if "proxy" not in name.lower()}
    summary = manage(env, "fetch_templates", "--source", memegen.url)
    assert "created 2" in summary and "rejected 0" in summary, summary
    visitor.goto("/make/")
    expect(visitor.get_by_role("link", name="Drakeposting")).to_be_visible()
    expect(visitor.locator(".starter-hint")).to_have_count(0)  # real templates now: no more hint

    # After sign-up, a title-mode meme on Drake; the page shows the caption being written before the meme. This is the
    # site's first caption (this test comes first), so the worker loads the model then: the page watches long before.
    maker = sign_up(chromium, live_site, "newcomer")
    maker.context.add_init_script(RECORD_JOB_STATES)
    maker.goto("/make/")
    maker.get_by_role("link", name="Drakeposting").click()
    expect(maker).to_have_url(re.compile(r"/make/drake/$"))
    expect(maker.get_by_role("heading", name="Drakeposting")).to_be_visible()
    screenshots(maker, "template-page")
    maker.get_by_label("Title").fill("when the code review finds nothing on a friday afternoon")
    maker.get_by_role("button", name="Write my caption").click()
    expect(maker).to_have_url(re.compile(r"/make/jobs/[0-9a-f-]+/$"))
    expect(maker.locator("#result img")).to_be_visible(timeout=WAIT_MS)
    expect(maker.locator("#job-heading")).to_have_text("Your meme", timeout=WAIT_MS)
    expect(maker.locator("#candidates")).to_be_visible(timeout=WAIT_MS)  # after the page's one reload
    maker.wait_for_function("document.querySelector('#result img').complete", timeout=WAIT_MS)
    caption = maker.locator("#result img").get_attribute("alt")
    assert caption
    screenshots(maker, "job-page")

    states = maker.evaluate("JSON.parse(sessionStorage.getItem('jobStates') || '[]')")
    first_image = next((n for n, state in enumerate(states) if state["image"]), None)
    assert first_image is not None, states
    partial = [state for state in states[:first_image] if state["stage"].startswith("Writing")]
    assert partial, f"no caption being written was seen before the meme: {states}"
    assert states[-1]["image"] and states[-1]["caption"] == caption
    print("job page states:", *states, sep="\n  ")


def test_a_meme_from_sign_up_to_a_live_upvote(chromium, live_site, screenshots):
    voter = sign_up(chromium, live_site, "frank")
    voter.goto("/new/")
    screenshots(voter, "gallery-before")

    maker = sign_up(chromium, live_site, "erin")
    maker.goto("/make/")
    maker.get_by_role("searchbox", name="Search templates").fill("cat")  # the list narrows as one types
    shown = maker.locator(".picker li:visible")
    expect(shown.first).to_be_visible()
    assert shown.count() < maker.locator(".picker li").count()
    assert all("cat" in item.get_attribute("data-search") for item in shown.all())
    screenshots(maker, "template-picker")
    shown.first.get_by_role("link").click()

    maker.get_by_label("Line 1").fill("hello there")  # the preview draws what one writes by hand
    preview = maker.get_by_role("img", name="Preview: hello there")
    expect(preview).to_have_attribute("src", re.compile(r"^/t/[-\w]+/hello_there/"))
    maker.wait_for_function("document.getElementById('preview').complete")
    assert preview.evaluate("image => image.naturalWidth") > 0
    screenshots(maker, "make-page-preview")

    maker.get_by_label("Title").fill("when the tests pass on the first try")
    maker.get_by_role("button", name="Write my caption").click()
    expect(maker).to_have_url(re.compile(r"/make/jobs/[0-9a-f-]+/$"))
    meme_image = maker.locator("#result img")
    expect(meme_image).to_be_visible(timeout=WAIT_MS)
    caption = meme_image.get_attribute("alt")
    assert caption, "the meme's image has its caption as alt text"
    screenshots(maker, "meme-made")
    meme_path = maker.locator("#result a").get_attribute("href")
    meme_id = re.fullmatch(r"/m/(\d+)/", meme_path).group(1)

    # It arrived on the voter's open gallery page without a reload, votable.
    card = voter.locator(f'li[data-meme="{meme_id}"]')
    expect(card).to_be_visible(timeout=WAIT_MS)
    expect(card.get_by_role("img")).to_have_attribute("alt", caption)
    screenshots(voter, "gallery-live")

    maker.goto(meme_path)
    score_on_maker_page = maker.locator(f'[data-score="{meme_id}"]')
    expect(score_on_maker_page).to_have_text("0")

    card.get_by_role("button", name="Vote up").click()
    expect(card.locator(f'[data-score="{meme_id}"]')).to_have_text("1")
    expect(card.get_by_role("button", name="Vote up")).to_have_attribute("aria-pressed", "true")
    screenshots(voter, "gallery-upvoted")

    expect(score_on_maker_page).to_have_text("1", timeout=10_000)
    screenshots(maker, "meme-page-live-count")

    # The same pages on a phone, for an anonymous visitor: nothing wider than the screen.
    phone = chromium.new_context(base_url=live_site, viewport={"width": 390, "height": 844}, is_mobile=True,
                                 has_touch=True, device_scale_factor=2).new_page()  # fmt: skip
    for path, name in (("/new/", "phone-gallery"), (meme_path, "phone-meme"), ("/make/", "phone-picker")):
        phone.goto(path)
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px wider than the phone"
        screenshots(phone, name)
