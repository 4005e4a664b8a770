"""The community: described in JSON (or YAML), checked with clear messages (community.py)."""

from __future__ import annotations

import sys

import pytest

from hubextras.testing.github import DEMO_COMMUNITY, CommunityError, load_community

# -- the community file and the command line ---------------------------------------


def test_demo_community_has_the_documented_cast():
    demo = load_community(DEMO_COMMUNITY)

    assert demo.is_team_member("demo-org", "hub-users", "alice")
    assert demo.is_team_member("demo-org", "hub-users", "carol")
    assert [t.slug for t in demo.teams_of("carol")] == ["researchers"]
    assert demo.team_membership("demo-org", "hub-users", "dora").state == "pending"
    assert demo.is_team_member("demo-org", "hub-champions", "champ")
    assert demo.is_team_member("demo-org", "students", "sam")
    assert not demo.is_org_member("demo-org", "eve")
    assert demo.is_team_member("other-org", "friends", "eve")
    assert demo.user("alice").name == "Alice Admirer"


def test_community_loads_from_json(tmp_path):
    path = tmp_path / "community.json"
    path.write_text('{"orgs": {"o": {"teams": {"t": {"members": ["u"]}}}}}')

    assert load_community(path).is_team_member("o", "t", "u")


def test_demo_community_is_json_so_the_stand_in_needs_no_yaml(monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)  # as if PyYAML were not installed

    assert DEMO_COMMUNITY.suffix == ".json"
    assert load_community(DEMO_COMMUNITY).is_team_member("demo-org", "hub-users", "alice")


def test_a_yaml_community_without_pyyaml_says_what_to_install(tmp_path, monkeypatch):
    path = tmp_path / "community.yaml"
    path.write_text("orgs: {}\n")
    monkeypatch.setitem(sys.modules, "yaml", None)

    with pytest.raises(CommunityError, match="PyYAML is not installed: `pip install pyyaml`, or describe"):
        load_community(path)


def test_a_yaml_community_loads_with_pyyaml(tmp_path):
    path = tmp_path / "community.yaml"
    path.write_text("orgs:\n  o:\n    teams:\n      t: {members: [u]}\n")

    assert load_community(path).is_team_member("o", "t", "u")


def test_about_lines_are_for_readers_and_must_be_text():
    assert load_community({"about": ["who is who"], "orgs": {}}).orgs == {}
    with pytest.raises(CommunityError, match="`about` must be a list of lines"):
        load_community({"about": {"alice": "member"}})


def test_a_missing_community_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommunityError, match="Cannot read the community file"):
        load_community(tmp_path / "nope.json")


def test_community_with_an_unknown_parent_is_refused_with_a_clear_message():
    with pytest.raises(CommunityError, match="names parent `nope`, which is not a team of `o`"):
        load_community({"orgs": {"o": {"teams": {"t": {"parent": "nope"}}}}})


