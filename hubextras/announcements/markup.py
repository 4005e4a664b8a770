"""Markdown that cannot run script on the hub's origin (pure).

Two independent layers, so one mistake is not enough:

1. markdown-it-py (the CommonMark parser MyST uses) with raw HTML off: `<script>`, `<img onerror>` and `<svg>`
   written in an announcement come out as text, and its link check drops `javascript:`, `vbscript:`, `file:`
   and `data:` links.
2. nh3 (Python binding of Rust's ammonia, an allow-list sanitizer; bleach is deprecated) keeps only the tags,
   attributes and URL schemes below, whatever layer 1 let through.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr",
    "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"style"}, "td": {"style"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
# table alignment is the only inline style markdown makes
ALLOWED_STYLE_PROPERTIES = frozenset({"text-align"})

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)


def sanitize_html(html: str) -> str:
    """`html` with everything outside the allow-list removed; links get rel="noopener noreferrer nofollow"."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        filter_style_properties=set(ALLOWED_STYLE_PROPERTIES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """An announcement's markdown as HTML safe to put in a hub page."""
    # headings start at h3: the page's own h1/h2 stay the page's outline
    html = _parser.render(text)
    for level in (2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 2}>").replace(f"</h{level}>", f"</h{level + 2}>")
    return sanitize_html(html)
