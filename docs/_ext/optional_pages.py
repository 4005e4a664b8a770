"""Pages that other parts of the project write: the index lists them, and until one exists the build stays quiet.

conf.py names them in `hubextras_optional_pages` (docnames or toctree glob patterns). A toctree entry for
one of those that matches no document yet is left out without a warning; every other missing page still warns.
"""

from __future__ import annotations

import logging

# Sphinx's own messages for a toctree entry that names no document (English; the docs are built in English)
EMPTY_GLOB = "toctree glob pattern %r didn't match any documents"
MISSING_DOC = "toctree contains reference to nonexisting document %r"


class OptionalPagesFilter(logging.Filter):
    """Drops the two toctree warnings when they are about a page listed as optional."""

    def __init__(self, optional: set[str]):
        super().__init__()
        self.optional = optional

    def filter(self, record: logging.LogRecord) -> bool:
        about_missing_page = str(record.msg) in (EMPTY_GLOB, MISSING_DOC)
        return not (about_missing_page and record.args and str(record.args[0]) in self.optional)


def install_filter(app, config) -> None:
    logger = logging.getLogger("sphinx.sphinx.directives.other")
    logger.filters = [f for f in logger.filters if not isinstance(f, OptionalPagesFilter)]
    logger.addFilter(OptionalPagesFilter(set(config.hubextras_optional_pages)))


def setup(app):
    app.add_config_value("hubextras_optional_pages", [], "env", types=[list])
    app.connect("config-inited", install_filter)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
