"""Sphinx configuration of the hubextras docs: MyST Markdown, the pydata theme, nothing fetched at build time."""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path[:0] = [str(DOCS / "_ext"), str(DOCS.parent)]

import hubextras  # noqa: E402

project = "hubextras"
author = "the hubextras contributors"
copyright = "the hubextras contributors"
release = version = hubextras.__version__

extensions = ["myst_parser", "hubextras_traits", "optional_pages"]
source_suffix = {".md": "markdown"}
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
root_doc = "index"
# the reference lists about a hundred settings: keep them out of the pages' outlines
toc_object_entries = False
exclude_patterns = ["_build", "examples", "Thumbs.db", ".DS_Store"]

html_theme = "pydata_sphinx_theme"
html_title = "hubextras"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "use_edit_page_button": False,
}
# pages other parts of the project write; until one exists, the index leaves it out without a warning
hubextras_optional_pages = ["signin", "profiles", "shared-data", "servers-panel", "*-operators"]
# no network at build time: no intersphinx, no remote images, no version switcher
intersphinx_mapping = {}
