"""`s3://` pull sources (pure): only objects below the prefixes the operator opened to pulls."""

import pytest

from hubextras.services.shared_data.errors import SharedDataError
from hubextras.services.shared_data.s3_sources import check_s3_source

OPEN = ["s3://community-data/courses/"]


def test_an_object_below_an_open_prefix_is_accepted():
    assert check_s3_source("s3://community-data/courses/week1.zip", OPEN) == ("community-data", "courses/week1.zip")


@pytest.mark.parametrize("url", [
    "s3://community-data/courses-private/answers.zip",  # a longer prefix that starts like the open one
    "s3://community-data/other.csv",
    "s3://scratch/alice/notes.txt",
])
def test_an_object_elsewhere_is_refused(url):
    with pytest.raises(SharedDataError, match="Pulls may read only below s3://community-data/courses/"):
        check_s3_source(url, OPEN)


@pytest.mark.parametrize("url", [
    "s3://community-data/courses/../private/a.csv", "s3://community-data/courses//a.csv",
])
def test_dot_dot_and_empty_parts_are_refused(url):
    with pytest.raises(SharedDataError, match="empty or `..` part"):
        check_s3_source(url, OPEN)


@pytest.mark.parametrize("url", ["s3://community-data/courses/", "s3://community-data", "https://x/y", "s3://b/k?x=1"])
def test_what_is_not_one_object_is_refused(url):
    with pytest.raises(SharedDataError, match="is not an object in a bucket"):
        check_s3_source(url, OPEN)


def test_without_open_prefixes_bucket_pulls_are_off():
    with pytest.raises(SharedDataError, match="does not pull from buckets"):
        check_s3_source("s3://community-data/courses/a.csv", [])
