"""The guide's hub image (docs/examples/Dockerfile): the chart release the z2jh tests run, hubextras from source."""

import re

from harness.hub import REPO_DIR
from harness.upstream import upstream_dir

DOCKERFILE = (REPO_DIR / "docs" / "examples" / "Dockerfile").read_text()


def test_the_default_hub_image_is_the_chart_release_whose_pins_the_z2jh_tests_run():
    default = re.search(r"^ARG Z2JH_VERSION=(\S+)$", DOCKERFILE, re.M)[1]
    assert default == "4.4.0"
    assert (upstream_dir() / "chart" / f"requirements-{default}.txt").is_file()


def test_hubextras_is_installed_from_the_source_tree_not_from_an_unpublished_release():
    assert not re.search(r"pip install[^\n]*hubextras==", DOCKERFILE)
    copied = re.findall(r"^COPY (.+) \S+$", DOCKERFILE, re.M)
    sources = [path for line in copied for path in line.split()]
    assert "hubextras" in sources and "setup.cfg" in sources
    assert all((REPO_DIR / path).exists() for path in sources), sources


def test_the_install_keeps_every_package_the_hub_image_has():
    assert "pip freeze > /tmp/hub-image-pins.txt" in DOCKERFILE
    assert "--constraint /tmp/hub-image-pins.txt /tmp/hubextras" in DOCKERFILE
