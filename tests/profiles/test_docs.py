"""docs/profiles.md documents every setting of the profile spawners and shows the form's screenshot."""

from pathlib import Path

import pytest

from hubextras.spawners import ProfilesSpawner
from hubextras.spawners.kube import ProfilesKubeSpawner
from hubextras.spawners.local import ProfilesLocalSpawner

DOC = Path(__file__).resolve().parents[2] / "docs" / "profiles.md"
REFERENCE = DOC.with_name("reference.md")


@pytest.mark.parametrize("cls", [ProfilesSpawner, ProfilesKubeSpawner, ProfilesLocalSpawner])
def test_every_setting_we_add_has_help_and_its_class_is_in_the_generated_reference(cls):
    ours = {name: trait for name, trait in cls.class_traits(config=True).items()
            if trait.this_class.__module__.startswith("hubextras")}
    assert ours, f"{cls.__name__} adds no settings"
    assert [name for name, trait in ours.items() if not trait.help] == []
    assert f"autoconfigurable:: {cls.__module__}.{cls.__name__}" in REFERENCE.read_text()


def test_operator_page_links_the_screenshot_the_browser_test_takes():
    assert "_static/screenshots/spawn-form.png" in DOC.read_text()
