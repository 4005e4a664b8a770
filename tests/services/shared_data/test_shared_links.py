"""nbgitpuller links send each user's browser to their own server, pulling the repository into their home."""

from urllib.parse import parse_qs, urlsplit

import pytest

from hubextras.services.shared_data.errors import SharedDataError
from hubextras.services.shared_data.links import nbgitpuller_link


@pytest.mark.parametrize(
    ("interface", "urlpath"),
    [
        ("lab", "lab/tree/course/week-1/intro.ipynb"),
        ("notebook", "tree/course/week-1/intro.ipynb"),
        ("rstudio", "rstudio/"),
    ],
)
def test_the_link_opens_the_file_in_the_chosen_interface(interface, urlpath):
    link = nbgitpuller_link(
        "https://hub.example.org/",
        "https://github.com/org/course.git",
        branch="main",
        interface=interface,
        open_path="week-1/intro.ipynb",
    )
    parts = urlsplit(link)
    assert parts.path == "/hub/user-redirect/git-pull"
    assert parse_qs(parts.query) == {
        "repo": ["https://github.com/org/course.git"],
        "branch": ["main"],
        "urlpath": [urlpath],
    }


def test_without_a_file_the_link_opens_the_repository_folder():
    link = nbgitpuller_link("https://hub.example.org", "https://github.com/org/course")
    assert parse_qs(urlsplit(link).query) == {"repo": ["https://github.com/org/course"], "urlpath": ["lab/tree/course"]}


@pytest.mark.parametrize(
    ("repo", "interface", "message"),
    [
        ("file:///srv/repo", "lab", "not an http"),
        ("github.com/org/course", "lab", "not an http"),
        ("https://github.com/org/course", "vscode", "Unknown interface"),
    ],
)
def test_bad_link_requests_are_refused_with_a_reason(repo, interface, message):
    with pytest.raises(SharedDataError, match=message):
        nbgitpuller_link("https://hub.example.org", repo, interface=interface)
