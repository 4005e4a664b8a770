"""Account names safe for useradd, and who may read what (pure)."""

import os
import stat

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hubextras.spawners.accounts import (
    ACCOUNT_NAME,
    MAX_ACCOUNT_NAME,
    Account,
    AccountError,
    account_name,
    hand_over_home,
    may_access,
    prepare_home,
)

ALICE = Account("jupyter-alice", 1001, 1001, "/home/jupyter-alice", (1001,))


def test_a_plain_username_is_kept_after_the_prefix():
    assert account_name("jupyter-{username}", "alice") == "jupyter-alice"


def test_a_username_that_needs_changing_gets_a_hash_so_two_never_share_an_account():
    dotted, dashed = account_name("jupyter-{username}", "a.b"), account_name("jupyter-{username}", "a-b")
    assert dashed == "jupyter-a-b" and dotted.startswith("jupyter-a-b-") and dotted != dashed


@given(st.text(min_size=1, max_size=80))
@example("a" * (MAX_ACCOUNT_NAME - len("jupyter-")))  # fits exactly
@example("a" * (MAX_ACCOUNT_NAME - len("jupyter-") + 1))  # one character more
@example("Root")
@example("名前")
def test_every_username_gives_a_valid_account_name(username):
    name = account_name("jupyter-{username}", username)
    assert ACCOUNT_NAME.fullmatch(name) and len(name) <= MAX_ACCOUNT_NAME


def test_a_name_that_fits_exactly_is_kept_and_one_more_character_is_shortened():
    fits = "a" * (MAX_ACCOUNT_NAME - len("jupyter-"))
    assert account_name("jupyter-{username}", fits) == f"jupyter-{fits}"
    assert len(account_name("jupyter-{username}", fits + "a")) == MAX_ACCOUNT_NAME


@pytest.mark.parametrize("template", ["jupyter", "{username}x", "1-{username}"])
def test_a_template_without_username_or_giving_invalid_names_is_refused(template):
    with pytest.raises(ValueError, match="template"):
        account_name(template, "9lives" if "{username}" in template else "alice")


def test_others_need_the_other_bits_and_the_owner_the_owner_bits():
    home = stat.S_IFDIR | 0o700
    assert may_access(home, 1001, 1001, 1001, frozenset({1001}), 5)
    assert not may_access(home, 1001, 1001, 1002, frozenset({1002}), 1)
    assert may_access(stat.S_IFREG | 0o644, 0, 0, 1002, frozenset({1002}), 4)
    assert not may_access(stat.S_IFREG | 0o644, 0, 0, 1002, frozenset({1002}), 2)


def test_group_bits_apply_to_members_of_the_files_group():
    shared = stat.S_IFDIR | 0o2775
    assert may_access(shared, 0, 3000, 1001, frozenset({1001, 3000}), 3)
    assert not may_access(shared, 0, 3000, 1002, frozenset({1002}), 2)


@pytest.mark.skipif(os.geteuid() != 0, reason="handing a home over to another uid needs root")
def test_a_home_left_by_a_root_run_hub_is_handed_over_with_its_files_but_not_what_links_point_to(tmp_path):
    home = tmp_path / "jupyter-alice"
    (home / "notebooks").mkdir(parents=True)
    (home / "notebooks" / "a.ipynb").write_text("{}")
    (home / "etc").symlink_to("/etc")
    account = Account("jupyter-alice", 54321, 54321, str(home), (54321,))
    assert prepare_home(str(home), account) is True
    hand_over_home(str(home), account)
    owners = {os.lstat(p).st_uid for p in [home, home / "notebooks", home / "notebooks" / "a.ipynb", home / "etc"]}
    assert owners == {54321} and os.stat("/etc").st_uid == 0
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700 and prepare_home(str(home), account) is False


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another uid needs root")
def test_a_home_of_another_account_is_refused(tmp_path):
    home = tmp_path / "jupyter-alice"
    home.mkdir()
    os.chown(home, 54322, 54322)
    with pytest.raises(AccountError, match="belongs to another account"):
        prepare_home(str(home), Account("jupyter-alice", 54321, 54321, str(home), (54321,)))
