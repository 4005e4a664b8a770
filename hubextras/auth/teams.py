"""Who may sign in, from GitHub team memberships: pure logic, no I/O.

GitHub data arrives as plain dicts (the REST API's JSON); everything here is
case-folded the way GitHub compares org logins and team slugs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# GitHub org logins: alphanumerics and single hyphens; team slugs also allow `_` and `.`.
_ORG_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38})")
_SLUG_RE = re.compile(r"[a-z0-9_.-]{1,100}")


class TeamSpecError(ValueError):
    """A configured team is not written as `org:team-slug`."""


@dataclass(frozen=True, order=True)
class TeamRef:
    """One GitHub team, case-folded: `org:slug` is also its JupyterHub group name."""

    org: str
    slug: str

    def __str__(self) -> str:
        return f"{self.org}:{self.slug}"


def parse_team(spec: str) -> TeamRef:
    """Parse `org:team-slug` (any letter case) or raise TeamSpecError saying what is expected."""
    if not isinstance(spec, str):
        raise TeamSpecError(f"Team {spec!r} must be a string written as 'org:team-slug'.")
    org, sep, slug = spec.strip().casefold().partition(":")
    if not sep or not _ORG_RE.fullmatch(org) or not _SLUG_RE.fullmatch(slug) or ":" in slug:
        raise TeamSpecError(
            f"Team {spec!r} is not written as 'org:team-slug' "
            "(for example 'myorg:hub-users', with the team's slug as in "
            "https://github.com/orgs/myorg/teams/hub-users)."
        )
    return TeamRef(org, slug)


def parse_teams(specs) -> frozenset[TeamRef]:
    """Parse a set of team specs, naming every bad entry at once."""
    refs, errors = set(), []
    for spec in specs:
        try:
            refs.add(parse_team(spec))
        except TeamSpecError as e:
            errors.append(str(e))
    if errors:
        raise TeamSpecError(" ".join(errors))
    return frozenset(refs)


def team_from_github(team: dict) -> TeamRef:
    """The TeamRef of a team object from GitHub's `/user/teams`."""
    return TeamRef(team["organization"]["login"].casefold(), team["slug"].casefold())


@dataclass
class TeamMembership:
    """What we know of one user's teams: direct teams from `/user/teams`, plus resolved checks.

    `confirmed` holds configured teams found active through the memberships endpoint
    (child-team members); `refused` those found pending or absent.
    """

    direct: frozenset[TeamRef]
    parents: dict[TeamRef, TeamRef] = field(default_factory=dict)
    confirmed: set[TeamRef] = field(default_factory=set)
    refused: set[TeamRef] = field(default_factory=set)

    @classmethod
    def from_github(cls, teams: list[dict]) -> TeamMembership:
        direct, parents = set(), {}
        for team in teams:
            ref = team_from_github(team)
            direct.add(ref)
            if team.get("parent"):
                parents[ref] = TeamRef(ref.org, team["parent"]["slug"].casefold())
        return cls(frozenset(direct), parents)

    @property
    def orgs(self) -> set[str]:
        return {t.org for t in self.direct}

    def is_member(self, team: TeamRef) -> bool:
        """Active member, directly or through a child team known so far."""
        if team in self.direct or team in self.confirmed:
            return True
        return any(self.parents.get(t) == team for t in self.direct)

    def _ancestry_known(self, team: TeamRef) -> bool:
        """Every ancestor of `team` is known: its parent chain runs through direct teams to the top."""
        seen = set()
        while team in self.parents and team not in seen:
            seen.add(team)
            team = self.parents[team]
            if team not in self.direct:
                return False
        return True

    def needs_check(self, team: TeamRef) -> bool:
        """A configured team the direct list cannot settle: the user is in a team of that org whose
        ancestors are not all known, so the memberships endpoint must say (GitHub lists only direct teams)."""
        if self.is_member(team) or team in self.refused:
            return False
        return any(t.org == team.org and not self._ancestry_known(t) for t in self.direct)

    def all_teams(self) -> set[TeamRef]:
        return set(self.direct) | self.confirmed | {
            p for t, p in self.parents.items() if t in self.direct
        }


def teams_to_check(
    membership: TeamMembership,
    *,
    allowed_teams: frozenset[TeamRef],
    admin_teams: frozenset[TeamRef],
    role_teams: frozenset[TeamRef] = frozenset(),
) -> list[TeamRef]:
    """Configured teams still worth a memberships-endpoint call, in a stable order.

    Only what can change the outcome: admitting teams while the user is not yet admitted,
    admin teams, and teams whose groups carry roles (the champions). So a login's cost is
    bounded by how the user's teams nest, not by how many teams the hub lists.
    """
    needed = set(admin_teams) | set(role_teams)
    if not membership.all_teams() & (allowed_teams | admin_teams):
        needed |= allowed_teams
    return sorted(t for t in needed if membership.needs_check(t))


@dataclass(frozen=True)
class AccessDecision:
    """The outcome of one sign-in or refresh check, with the reason a person can read."""

    allowed: bool
    admin: bool
    groups: tuple[str, ...]
    reason: str


def decide_access(
    membership: TeamMembership,
    *,
    allowed_teams: frozenset[TeamRef],
    admin_teams: frozenset[TeamRef],
    allowed_orgs: frozenset[str] = frozenset(),
    member_orgs: frozenset[str] = frozenset(),
    group_orgs: frozenset[str] = frozenset(),
) -> AccessDecision:
    """Decide what a user's GitHub teams grant, from plain data.

    - admin: a member of an admin team (admin teams also admit);
    - allowed: a member of an allowed or admin team, or of an allowed org
      (`member_orgs`: orgs the user was confirmed an active member of);
    - groups: the user's teams in the orgs the hub is configured with (`group_orgs`),
      so unrelated orgs never leak into the hub.
    """
    teams = membership.all_teams()
    groups = tuple(sorted(str(t) for t in teams if t.org in group_orgs))
    admin = bool(teams & admin_teams)
    in_team = sorted(str(t) for t in teams & (allowed_teams | admin_teams))
    in_org = sorted(allowed_orgs & (member_orgs | membership.orgs))
    if in_team or in_org:
        return AccessDecision(True, admin, groups, f"member of {', '.join(in_team + in_org)}")
    return AccessDecision(False, False, groups, "you are not in any GitHub team this hub admits")
