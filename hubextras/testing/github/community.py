"""The stand-in's community: orgs, teams, users and memberships, as plain data (no HTTP).

A community is described in JSON (or YAML, when PyYAML is installed)::

    {"orgs": {"demo-org": {"teams": {"hub-users": {"members": {"alice": "active", "dora": "pending"}},
                                      "researchers": {"parent": "hub-users", "members": ["carol"]}}}},
     "users": {"alice": {"name": "Alice Admirer", "email": "alice@example.org"}}}
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEMO_COMMUNITY = Path(__file__).with_name("demo_community.json")
"""The bundled demo community (who is who is told in its `about` lines)."""

MEMBER_STATES = ("active", "pending")
MEMBER_ROLES = ("member", "maintainer")


class CommunityError(ValueError):
    """The community description cannot be used; the message says where and why."""


@dataclass
class User:
    """A GitHub user. ``email`` is the public profile email (None: private)."""

    login: str
    id: int
    name: str | None = None
    email: str | None = None
    primary_email: str | None = None

    @property
    def emails(self) -> list[str]:
        """The primary address first, then the GitHub noreply address."""
        primary = self.primary_email or self.email or f"{self.login}@example.org"
        return [primary, f"{self.id}+{self.login}@users.noreply.github.com"]


@dataclass
class Membership:
    """A user's direct membership of one team."""

    login: str
    state: str = "active"
    role: str = "member"


@dataclass
class Team:
    """A team; ``parent`` is the parent team's slug in the same org, or None."""

    org: str
    slug: str
    id: int
    name: str
    parent: str | None = None
    description: str | None = None
    members: dict[str, Membership] = field(default_factory=dict)  # key: login.lower()


@dataclass
class Org:
    """An organisation; ``members`` are org members listed outside any team."""

    login: str
    id: int
    name: str | None = None
    members: set[str] = field(default_factory=set)  # login.lower()
    teams: dict[str, Team] = field(default_factory=dict)  # key: slug.lower()


class Community:
    """Orgs, teams, users and memberships, looked up case-insensitively like GitHub.

    Reads and writes hold one lock, so tests may change membership while the
    stand-in serves requests from its own thread.
    """

    def __init__(self) -> None:
        self.orgs: dict[str, Org] = {}
        self.users: dict[str, User] = {}
        self.lock = threading.RLock()
        self._reserved_ids: set[int] = set()
        self._team_ids = iter(range(7001, 10**9))
        self._org_ids = iter(range(5001, 10**9))

    # -- lookups ------------------------------------------------------------

    def user(self, login: str) -> User | None:
        return self.users.get(login.lower())

    def org(self, org: str) -> Org | None:
        return self.orgs.get(org.lower())

    def team(self, org: str, slug: str) -> Team | None:
        found = self.org(org)
        return found.teams.get(slug.lower()) if found else None

    def parent_of(self, team: Team) -> Team | None:
        return self.team(team.org, team.parent) if team.parent else None

    def descendants(self, team: Team) -> list[Team]:
        """Child teams of ``team`` at any depth."""
        with self.lock:
            org = self.orgs[team.org.lower()]
            found, frontier = [], [team.slug.lower()]
            while frontier:
                slug = frontier.pop()
                for child in org.teams.values():
                    if child.parent and child.parent.lower() == slug:
                        found.append(child)
                        frontier.append(child.slug.lower())
            return found

    def teams_of(self, login: str) -> list[Team]:
        """Teams where ``login`` is an active *direct* member, as /user/teams lists them."""
        key = login.lower()
        with self.lock:
            teams = [
                team
                for org in self.orgs.values()
                for team in org.teams.values()
                if (m := team.members.get(key)) and m.state == "active"
            ]
        return sorted(teams, key=lambda t: t.id)

    def memberships_of(self, login: str) -> list[tuple[Team, Membership]]:
        """Every direct membership of ``login``, pending ones included."""
        key = login.lower()
        with self.lock:
            found = [
                (team, team.members[key])
                for org in self.orgs.values()
                for team in org.teams.values()
                if key in team.members
            ]
        return sorted(found, key=lambda pair: pair[0].id)

    def team_membership(self, org: str, slug: str, login: str) -> Membership | None:
        """The membership GitHub reports: child-team members count as active members."""
        key = login.lower()
        with self.lock:
            team = self.team(org, slug)
            if team is None:
                return None
            direct = team.members.get(key)
            if direct and direct.state == "active":
                return direct
            for child in self.descendants(team):
                inherited = child.members.get(key)
                if inherited and inherited.state == "active":
                    return Membership(inherited.login, "active", "member")
            return direct

    def is_team_member(self, org: str, slug: str, login: str) -> bool:
        membership = self.team_membership(org, slug, login)
        return membership is not None and membership.state == "active"

    def is_org_member(self, org: str, login: str) -> bool:
        key = login.lower()
        with self.lock:
            found = self.org(org)
            if found is None:
                return False
            if key in found.members:
                return True
            return any((m := team.members.get(key)) and m.state == "active" for team in found.teams.values())

    # -- changes --------------------------------------------------------------

    def add_user(
        self,
        login: str,
        name: str | None = None,
        email: str | None = None,
        id: int | None = None,
        primary_email: str | None = None,
    ) -> User:
        """Add a user, or update the name and emails of an existing one."""
        with self.lock:
            existing = self.user(login)
            if existing is not None:
                if name is not None:
                    existing.name = name
                if email is not None:
                    existing.email = email
                if primary_email is not None:
                    existing.primary_email = primary_email
                return existing
            used = {u.id for u in self.users.values()}
            if id is None:
                used |= self._reserved_ids
                id = next(i for i in range(1001, 10**9) if i not in used)
            elif id in used:
                raise CommunityError(f"User `{login}` has id {id}, which another user already has.")
            user = User(login, id, name, email, primary_email)
            self.users[login.lower()] = user
            return user

    def add_org(self, login: str, name: str | None = None) -> Org:
        with self.lock:
            found = self.org(login)
            if found is None:
                found = Org(login, next(self._org_ids), name)
                self.orgs[login.lower()] = found
            return found

    def add_team(
        self,
        org: str,
        slug: str,
        name: str | None = None,
        parent: str | None = None,
        description: str | None = None,
    ) -> Team:
        with self.lock:
            owner = self.add_org(org)
            if slug.lower() in owner.teams:
                raise CommunityError(f"Team `{org}:{slug}` is described twice.")
            team = Team(owner.login, slug, next(self._team_ids), name or slug, parent, description)
            owner.teams[slug.lower()] = team
            return team

    def _existing_team(self, org: str, slug: str) -> Team:
        team = self.team(org, slug)
        if team is None:
            raise LookupError(f"There is no team `{org}:{slug}` in this community.")
        return team

    def add_member(self, org: str, team: str, user: str, state: str = "active", role: str = "member") -> Membership:
        """Make ``user`` a direct member of an existing team (or change state/role)."""
        if state not in MEMBER_STATES:
            raise CommunityError(f"Membership state must be one of {MEMBER_STATES}, not {state!r}.")
        if role not in MEMBER_ROLES:
            raise CommunityError(f"Membership role must be one of {MEMBER_ROLES}, not {role!r}.")
        with self.lock:
            found = self._existing_team(org, team)
            login = self.add_user(user).login
            membership = Membership(login, state, role)
            found.members[login.lower()] = membership
            return membership

    def remove_member(self, org: str, team: str, user: str) -> None:
        """Remove ``user``'s direct membership of a team (no-op if not a member)."""
        with self.lock:
            self._existing_team(org, team).members.pop(user.lower(), None)

    # -- building from a description ------------------------------------------

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Community:
        """Build a community from the documented YAML/JSON structure."""
        data = data or {}
        if not isinstance(data, dict):
            raise CommunityError("A community description must be a mapping with `orgs` and `users`.")
        _check_keys("the community", data, {"about", "orgs", "users", "many_teams"})
        about = data.get("about", [])
        if not (isinstance(about, list) and all(isinstance(line, str) for line in about)):
            raise CommunityError("`about` must be a list of lines of text (who is who, for people reading the file).")
        community = cls()
        users = data.get("users") or {}
        community._reserved_ids = {
            info["id"] for info in users.values() if isinstance(info, dict) and info.get("id") is not None
        }
        for login, info in users.items():
            info = info or {}
            _check_keys(f"user `{login}`", info, {"name", "email", "id", "primary_email"})
            community.add_user(
                str(login),
                info.get("name"),
                info.get("email"),
                info.get("id"),
                info.get("primary_email"),
            )
        for org_login, org_info in (data.get("orgs") or {}).items():
            community._load_org(str(org_login), org_info or {})
        community._check_parents()
        many = data.get("many_teams") or []
        for spec in [many] if isinstance(many, dict) else many:
            community._load_many_teams(spec)
        return community

    def _load_org(self, login: str, info: dict[str, Any]) -> None:
        _check_keys(f"org `{login}`", info, {"name", "members", "teams"})
        org = self.add_org(login, info.get("name"))
        for member in info.get("members") or []:
            org.members.add(self.add_user(str(member)).login.lower())
        for slug, team_info in (info.get("teams") or {}).items():
            team_info = team_info or {}
            where = f"team `{login}:{slug}`"
            _check_keys(where, team_info, {"name", "parent", "members", "maintainers", "description"})
            team = self.add_team(
                login,
                str(slug),
                team_info.get("name"),
                team_info.get("parent"),
                team_info.get("description"),
            )
            members = team_info.get("members") or {}
            if isinstance(members, list):
                members = dict.fromkeys(members, "active")
            for member, state in members.items():
                if (state or "active") not in MEMBER_STATES:
                    raise CommunityError(f"In {where}, `{member}` has state {state!r}; use `active` or `pending`.")
                self.add_member(login, team.slug, str(member), state or "active")
            for member in team_info.get("maintainers") or []:
                current = team.members.get(str(member).lower())
                self.add_member(login, team.slug, str(member), current.state if current else "active", "maintainer")

    def _check_parents(self) -> None:
        for org in self.orgs.values():
            for team in org.teams.values():
                seen = {team.slug.lower()}
                parent = team.parent
                while parent:
                    found = org.teams.get(str(parent).lower())
                    if found is None:
                        raise CommunityError(
                            f"Team `{org.login}:{team.slug}` names parent `{parent}`, "
                            f"which is not a team of `{org.login}`."
                        )
                    if found.slug.lower() in seen:
                        raise CommunityError(f"Team `{org.login}:{team.slug}` is its own ancestor.")
                    seen.add(found.slug.lower())
                    parent = found.parent
                if team.parent:
                    team.parent = org.teams[str(team.parent).lower()].slug

    def _load_many_teams(self, spec: dict[str, Any]) -> None:
        _check_keys("many_teams", spec, {"org", "count", "member", "prefix"})
        org, count, member = spec["org"], int(spec["count"]), spec.get("member")
        prefix = spec.get("prefix", "team-")
        width = max(3, len(str(count - 1)))
        for number in range(count):
            team = self.add_team(org, f"{prefix}{number:0{width}d}")
            if member:
                self.add_member(org, team.slug, str(member))


def _check_keys(where: str, info: Any, allowed: set[str]) -> None:
    if not isinstance(info, dict):
        raise CommunityError(f"{where[0].upper()}{where[1:]} must be a mapping, not {info!r}.")
    unknown = set(info) - allowed
    if unknown:
        raise CommunityError(
            f"Unknown key(s) {', '.join(sorted(map(str, unknown)))} in {where}; known: {', '.join(sorted(allowed))}."
        )


def load_community(source: Community | dict[str, Any] | str | os.PathLike[str] | None) -> Community:
    """A Community from a dict, or from a .json (or, with PyYAML, .yaml/.yml) file (None: the demo community)."""
    if isinstance(source, Community):
        return source
    if source is None:
        source = DEMO_COMMUNITY
    if isinstance(source, dict):
        return Community.from_dict(source)
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise CommunityError(f"Cannot read the community file {path}: {e.strerror or e}.") from e
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else _load_yaml(path, text)
    except ValueError as e:
        raise CommunityError(f"{path} is not valid {path.suffix.lstrip('.').upper() or 'YAML'}: {e}") from e
    try:
        return Community.from_dict(data)
    except CommunityError as e:
        raise CommunityError(f"{path}: {e}") from e


def _load_yaml(path: Path, text: str) -> Any:
    try:
        import yaml
    except ImportError:
        raise CommunityError(
            f"{path} is YAML, and PyYAML is not installed: `pip install pyyaml`, or describe the community in JSON."
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ValueError(str(e)) from e
