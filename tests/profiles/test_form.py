"""The options form: the user's filtered list, escaped, preselected, accessible, overridable."""

import re

from hubextras.profiles.engine import allowed_profiles_for, normalize_profile_list, select
from hubextras.profiles.examples import example_profile_list
from hubextras.profiles.form import machine_summary, parse_bytes, render_form


def render(groups=("demo-org:hub-users",), options=None, profile_list=None, **kwargs):
    profiles = normalize_profile_list(profile_list or example_profile_list())
    allowed = allowed_profiles_for(profiles, groups)
    selection = select(profiles, allowed, options) if options is not None else None
    return render_form(allowed, selection, **kwargs)


def test_form_lists_only_the_profiles_the_user_may_use():
    html = render()
    assert "Medium: 16 CPU, 128 GB" in html and "Large: 64 CPU, 512 GB" not in html


def test_names_and_descriptions_are_escaped_text():
    html = render(profile_list=[{"display_name": "<script>alert(1)</script>", "description": "<b>bold</b>"}])
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;bold" in html


def test_operator_can_mark_a_description_as_html():
    html = render(profile_list=[{"display_name": "P", "description": "<b>bold</b>", "html": True}])
    assert "<b>bold</b>" in html


def test_saved_choices_are_preselected():
    html = render(options={"profile": "medium", "image": "geospatial", "interface": "rstudio"})
    assert re.search(r'value="medium"\s+aria-describedby="[^"]+" checked', html)
    assert '<option value="geospatial" selected>' in html
    assert '<option value="rstudio" selected>' in html


def test_saved_custom_image_is_preselected_and_escaped():
    html = render(options={"profile": "small", "image": "unlisted-choice", "image--unlisted-choice": "quay.io/a/b:1"})
    assert 'value="quay.io/a/b:1"' in html and '<option value="unlisted-choice" selected>' in html


def test_custom_image_field_shows_its_validation_message():
    assert "Must be a public image with a tag" in render()


def test_every_input_has_a_label():
    html = render()
    ids = re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html)
    assert ids and all(f'for="{i}"' in html for i in ids)


def test_form_says_what_each_machine_size_means():
    assert "1 CPU guaranteed, up to 4 CPUs; 8 GB memory guaranteed, up to 32 GB." in render()


def test_machine_summary_mentions_gpus():
    assert machine_summary({"cpu_limit": 8, "extra_resource_limits": {"nvidia.com/gpu": "1"}}) == "8 CPUs; 1 GPU."


def test_memory_sizes_parse_in_jupyterhub_units():
    parsed = (parse_bytes("32G"), parse_bytes("512M"), parse_bytes(1024), parse_bytes("x"))
    assert parsed == (32 * 1024**3, 512 * 1024**2, 1024, None)


def test_a_template_in_the_hub_template_paths_overrides_ours(tmp_path):
    (tmp_path / "spawn_form.html").write_text("custom form with {{ profiles|length }} profiles")
    assert render(template_paths=[tmp_path]) == "custom form with 3 profiles"


def test_form_notes_are_shown_as_text():
    assert "at most 2 CPUs &lt;here&gt;" in render(notes="at most 2 CPUs <here>")
