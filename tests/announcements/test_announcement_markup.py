"""Announcement markdown becomes HTML that cannot run script (markdown-it-py, then nh3's allow-list)."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from hypothesis import example, given
from hypothesis import strategies as st

from hubextras.announcements.markup import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown, sanitize_html

SCRIPT_SIGNS = re.compile(r"<\s*(script|svg|iframe|object|embed|img|style|math)|\son\w+\s*=|javascript:|data:",
                          re.IGNORECASE)


def elements_of(html: str) -> list[tuple[str, dict]]:
    """Every element of `html` as a browser's parser sees it: (tag, attributes)."""
    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, {name: value or "" for name, value in attrs}))

    Collect().feed(html)
    return found


def test_markdown_keeps_emphasis_lists_links_and_tables():
    html = render_markdown("**Maintenance** Saturday\n\n- save work\n\n[status](https://status.example.org)\n\n"
                           "| day | time |\n|-|-|\n| Sat | 10:00 |")
    for kept in ("<strong>Maintenance</strong>", "<li>save work</li>", 'href="https://status.example.org"',
                 "<td>Sat</td>"):
        assert kept in html


def test_links_open_without_handing_the_hub_page_to_the_target():
    assert 'rel="noopener noreferrer nofollow"' in render_markdown("[x](https://example.org)")


def test_headings_start_below_the_pages_own():
    assert render_markdown("# Big\n\n## Less").startswith("<h3>Big</h3>\n<h4>Less</h4>")


def test_raw_html_is_shown_as_text():
    assert render_markdown("<b>hi</b>") == "<p>&lt;b&gt;hi&lt;/b&gt;</p>\n"


def test_the_sanitizer_alone_removes_what_markdown_would_never_make():
    html = sanitize_html('<p onclick="x()">a<script>alert(1)</script><svg onload=alert(1)></svg>'
                         '<a href="javascript:alert(1)">l</a><img src=x onerror=alert(1)></p>')
    assert SCRIPT_SIGNS.search(html) is None, html
    assert html.startswith("<p>a")


@given(st.text(max_size=300))
@example("<script>alert(1)</script>")
@example("<img src=x onerror=alert(1)>")
@example("<svg><script>alert(1)</script></svg>")
@example("<svg/onload=alert(1)>")
@example("[click](javascript:alert(1))")
@example("[click](JaVaScRiPt:alert(1))")
@example("[click](java\tscript:alert(1))")
@example("[click](&#106;avascript:alert(1))")
@example("[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)")
@example("![x](https://example.org/x.png)")
@example('<a href="javascript:alert(1)">x</a>')
@example("[x]: javascript:alert(1)\n\n[x]")
@example("<https://example.org/\" onmouseover=\"alert(1)>")
def test_no_announcement_can_carry_script(text):
    for tag, attributes in elements_of(render_markdown(text)):
        assert tag in ALLOWED_TAGS, (text, tag)
        assert set(attributes) <= ALLOWED_ATTRIBUTES.get(tag, set()), (text, tag, attributes)
        href = attributes.get("href")
        if href is not None:
            assert urlsplit(href.strip()).scheme.lower() in ("", "http", "https", "mailto"), (text, href)
