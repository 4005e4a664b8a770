"""The GitHub stand-in served on 127.0.0.1 over a small community, one per test module."""

import pytest
from standin_client import sign_in

from hubextras.testing.github import GitHubStandIn

COMMUNITY = {
    "orgs": {
        "Demo-Org": {
            "members": ["olga"],
            "teams": {
                "Hub-Users": {
                    "name": "Hub Users",
                    "members": {"alice": "active", "dora": "pending"},
                    "maintainers": ["mia"],
                },
                "researchers": {"parent": "hub-users", "members": ["carol"]},
                "deep-researchers": {"parent": "researchers", "members": ["gina"]},
                "students": {"members": ["sam"]},
            },
        },
    },
    "users": {
        "alice": {"name": "Alice Example", "email": "alice@example.org", "id": 1},
        "carol": {"name": "Carol Researcher", "email": None},
    },
    "many_teams": {"org": "big-org", "count": 150, "member": "bob"},
}


@pytest.fixture(scope="module")
def standin():
    standin = GitHubStandIn(COMMUNITY, host="127.0.0.1", port=0).start()
    yield standin
    standin.stop()


@pytest.fixture
def well_behaved(standin):
    """A well-behaved GitHub, before and after each test."""
    standin.reset_switches()
    standin.reset_counts()
    yield
    standin.reset_switches()
    standin.reset_counts()


@pytest.fixture(scope="module")
def tokens(standin):
    return {login: sign_in(standin, login) for login in ("alice", "carol", "dora", "gina", "mia", "sam", "bob")}
