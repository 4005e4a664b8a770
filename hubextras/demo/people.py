"""Who to sign in as on the GitHub stand-in's authorize page, and what the demo hub does with each."""

from __future__ import annotations

from dataclasses import dataclass

ALLOWED_TEAMS = ("demo-org:hub-users", "demo-org:students")
ADMIN_TEAMS = ("demo-org:hub-admins",)
CHAMPIONS_TEAM = "demo-org:hub-champions"


@dataclass(frozen=True)
class Person:
    login: str
    who: str
    outcome: str
    admitted: bool


PEOPLE = (
    Person("alice", "member of demo-org:hub-users", "gets in", True),
    Person("carol", "member of demo-org:researchers, a child team", "gets in through the parent team", True),
    Person("champ", "hub champion (demo-org:hub-champions)", "gets in, sees the champions' panels", True),
    Person("ada", "member of demo-org:hub-admins", "gets in as a hub admin", True),
    Person("sam", "member of demo-org:students", "gets in", True),
    Person("dora", "invited to demo-org:hub-users, invitation pending", "refused", False),
    Person("eve", "in no team of demo-org", "refused, with a page that says why", False),
)


def sign_in_table(people=PEOPLE) -> str:
    """The table the demo prints: one line per person, aligned."""
    width = max(len(p.who) for p in people)
    lines = ['Sign in as (on the stand-in\'s "Authorize" page):']
    lines += [f"  {p.login:<6} {p.who:<{width}} -> {p.outcome}" for p in people]
    return "\n".join(lines) + "\n"
