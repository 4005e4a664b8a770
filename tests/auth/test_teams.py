"""The access decision over plain data: parsing team specs, child teams, groups."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubextras.auth.teams import (
    TeamMembership,
    TeamRef,
    TeamSpecError,
    decide_access,
    parse_team,
    parse_teams,
    teams_to_check,
)


def gh_team(org, slug, parent=None):
    return {"organization": {"login": org}, "slug": slug, "parent": {"slug": parent} if parent else None}


def decide(teams, allowed=("demo-org:hub-users",), admin=(), orgs=(), confirmed=(), member_orgs=()):
    membership = TeamMembership.from_github(teams)
    membership.confirmed |= {parse_team(t) for t in confirmed}
    configured = parse_teams(allowed) | parse_teams(admin)
    return decide_access(
        membership,
        allowed_teams=parse_teams(allowed),
        admin_teams=parse_teams(admin),
        allowed_orgs=frozenset(orgs),
        member_orgs=frozenset(member_orgs),
        group_orgs=frozenset({t.org for t in configured} | set(orgs)),
    )


def test_team_spec_is_case_folded():
    assert parse_team(" Demo-Org:Hub-Users ") == TeamRef("demo-org", "hub-users")


@pytest.mark.parametrize("spec", ["hub-users", "demo-org:", ":team", "a:b:c", "demo org:team", "", "org:te am"])
def test_malformed_team_spec_says_what_form_is_expected(spec):
    with pytest.raises(TeamSpecError, match="org:team-slug"):
        parse_team(spec)


def test_every_bad_entry_is_named_at_once():
    with pytest.raises(TeamSpecError) as e:
        parse_teams(["ok:team", "bad", "also bad"])
    assert "'bad'" in str(e.value) and "'also bad'" in str(e.value)


def test_direct_member_of_allowed_team_is_admitted():
    decision = decide([gh_team("Demo-Org", "Hub-Users")])
    assert decision.allowed and decision.groups == ("demo-org:hub-users",)


def test_non_member_is_refused_with_a_reason():
    decision = decide([gh_team("demo-org", "students")])
    assert not decision.allowed and "not in any GitHub team" in decision.reason


def test_child_team_member_is_admitted_through_the_parent():
    decision = decide([gh_team("demo-org", "researchers", parent="hub-users")])
    assert decision.allowed
    assert decision.groups == ("demo-org:hub-users", "demo-org:researchers")


def test_grandchild_needs_a_memberships_check_and_is_admitted_once_confirmed():
    teams = [gh_team("demo-org", "phd", parent="researchers")]
    membership = TeamMembership.from_github(teams)
    needed = teams_to_check(membership, allowed_teams=parse_teams(["demo-org:hub-users"]), admin_teams=frozenset())
    assert needed == [parse_team("demo-org:hub-users")]
    assert not decide(teams).allowed
    assert decide(teams, confirmed=["demo-org:hub-users"]).allowed


def test_no_check_is_needed_for_users_without_child_teams():
    membership = TeamMembership.from_github([gh_team("demo-org", "students")])
    configured = parse_teams(["demo-org:hub-users", "demo-org:admins"])
    assert teams_to_check(membership, allowed_teams=configured, admin_teams=frozenset()) == []


def test_known_parent_settles_membership_without_a_check():
    membership = TeamMembership.from_github([gh_team("demo-org", "researchers", parent="hub-users"),
                                              gh_team("demo-org", "hub-users")])
    assert teams_to_check(membership, allowed_teams=parse_teams(["demo-org:students"]), admin_teams=frozenset()) == []


def test_once_admitted_only_admin_and_role_teams_are_checked():
    membership = TeamMembership.from_github([gh_team("demo-org", "researchers", parent="hub-users")])
    needed = teams_to_check(
        membership,
        allowed_teams=parse_teams([f"demo-org:course-{i}" for i in range(20)] + ["demo-org:hub-users"]),
        admin_teams=parse_teams(["demo-org:admins"]),
        role_teams=parse_teams(["demo-org:champions"]),
    )
    assert needed == [parse_team("demo-org:admins"), parse_team("demo-org:champions")]


def test_teams_of_unconfigured_orgs_never_become_groups():
    decision = decide([gh_team("demo-org", "hub-users"), gh_team("other-org", "friends")])
    assert decision.groups == ("demo-org:hub-users",)


def test_same_team_name_in_another_org_does_not_admit():
    assert not decide([gh_team("other-org", "hub-users")]).allowed


def test_admin_team_admits_and_makes_admin():
    decision = decide([gh_team("demo-org", "admins")], admin=("demo-org:admins",))
    assert decision.allowed and decision.admin


def test_allowed_org_admits_any_team_member_of_it():
    assert decide([gh_team("demo-org", "students")], allowed=(), orgs=("demo-org",)).allowed


def test_allowed_org_admits_a_confirmed_org_member_without_teams():
    assert decide([], allowed=(), orgs=("demo-org",), member_orgs=("demo-org",)).allowed


slugs = st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}", fullmatch=True)


@given(org=slugs, slug=slugs, upper=st.booleans())
def test_parse_team_round_trips_in_any_case(org, slug, upper):
    spec = f"{org}:{slug}"
    ref = parse_team(spec.upper() if upper else spec)
    assert str(ref) == spec


@given(st.lists(st.tuples(st.sampled_from(["demo-org", "other-org"]), slugs), max_size=30), slugs)
def test_groups_are_exactly_the_configured_org_teams(teams, allowed_slug):
    decision = decide([gh_team(o, s) for o, s in teams], allowed=(f"demo-org:{allowed_slug}",))
    assert set(decision.groups) == {f"demo-org:{s}" for o, s in teams if o == "demo-org"}
    assert decision.allowed == (("demo-org", allowed_slug) in teams)
