"""End to end in a real browser, against the live site and its real worker: sign up, make a title-mode meme, see
it arrive live on someone else's gallery page, have them upvote it there, and see the count change live on the
maker's own page of it."""

import re

import pytest
from playwright.sync_api import expect

# The server process writes to the test database: the test sees committed rows, and the tables are emptied after.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long and unusual passphrase 42"
WAIT_MS = 120_000  # the first caption loads the caption model, on a busy machine


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
