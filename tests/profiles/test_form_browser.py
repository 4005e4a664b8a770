"""The options form in Chromium: usable without JavaScript, tidier with it, labelled for screen readers."""

import pytest

from hubextras.profiles.engine import allowed_profiles_for, normalize_profile_list
from hubextras.profiles.examples import example_profile_list
from hubextras.profiles.form import render_form

pytestmark = pytest.mark.browser


def form_page(browser, javascript: bool):
    profiles = normalize_profile_list(example_profile_list())
    html = render_form(allowed_profiles_for(profiles, ["demo-org:hub-users"]), None)
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.set_content(f"<!doctype html><html><body><form method='post'>{html}<button>Start</button></form></body>")
    return context, page


def test_without_javascript_every_profile_and_field_can_be_used(browser):
    context, page = form_page(browser, javascript=False)
    try:
        selects = page.locator("select")
        assert selects.count() == 6  # 3 profiles x (image, interface)
        assert all(selects.nth(i).is_visible() and selects.nth(i).is_enabled() for i in range(selects.count()))
        assert page.get_by_label("Custom image", exact=False).first.is_visible()
    finally:
        context.close()


def test_with_javascript_only_the_chosen_profile_shows_its_options(browser):
    context, page = form_page(browser, javascript=True)
    try:
        assert page.get_by_label("Image for Shared small: 1-4 CPU, 8-32 GB").is_visible()
        assert not page.get_by_label("Image for Medium: 16 CPU, 128 GB").is_visible()
        page.get_by_role("radio", name="Medium: 16 CPU, 128 GB").check()
        assert page.get_by_label("Image for Medium: 16 CPU, 128 GB").is_visible()
        assert not page.get_by_label("Image for Shared small: 1-4 CPU, 8-32 GB").is_visible()
    finally:
        context.close()


def test_with_javascript_the_custom_image_field_appears_when_other_is_chosen(browser):
    context, page = form_page(browser, javascript=True)
    try:
        custom = page.locator("input[name='profile-option-shared-small--image--unlisted-choice']")
        assert not custom.is_visible()
        page.get_by_label("Image for Shared small: 1-4 CPU, 8-32 GB").select_option(label="Other...")
        assert custom.is_visible() and custom.evaluate("el => el.required")
    finally:
        context.close()


def test_every_field_has_an_accessible_name(browser):
    context, page = form_page(browser, javascript=False)
    try:
        names = page.locator("input, select").evaluate_all(
            "els => els.map(el => el.labels && el.labels.length ? el.labels[0].textContent.trim() : '')"
        )
        assert names and all(names)
    finally:
        context.close()
