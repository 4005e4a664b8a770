"""Sphinx configuration of the hubextras docs: MyST Markdown, the pydata theme, nothing fetched at build time."""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

import hubextras  # noqa: E402

project = "hubextras"
author = "the hubextras contributors"
copyright = "the hubextras contributors"
release = version = hubextras.__version__

# autodoc_traits: the settings reference (docs/reference.md), from the traits' help texts, as JupyterHub's own docs
extensions = ["myst_parser", "autodoc_traits"]
source_suffix = {".md": "markdown"}
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
root_doc = "index"
# the reference lists about a hundred settings: keep them out of the pages' outlines
toc_object_entries = False
exclude_patterns = ["_build", "examples", "Thumbs.db", ".DS_Store"]
autodoc_member_order = "alphabetical"

html_theme = "pydata_sphinx_theme"
html_title = "hubextras"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "use_edit_page_button": False,
}
# no network at build time: no intersphinx, no remote images, no version switcher
intersphinx_mapping = {}


def settings_the_class_adds(app, what, name, obj, skip, options):
    """The reference lists each class's own settings: what it inherits from JupyterHub, KubeSpawner or
    OAuthenticator is theirs to document, and what it shares with another hubextras class is listed there."""
    documented = getattr(app.env, "hubextras_documenting", None)
    this_class = getattr(obj, "this_class", None)
    if documented is not None and this_class is not None and getattr(obj, "metadata", {}).get("config"):
        return skip or this_class is not documented
    return None


def remember_documented_class(app, what, name, obj, options, lines):
    if what in ("configurable", "class"):
        app.env.hubextras_documenting = obj


def setup(app):
    app.connect("autodoc-process-docstring", remember_documented_class)
    app.connect("autodoc-skip-member", settings_the_class_adds)
