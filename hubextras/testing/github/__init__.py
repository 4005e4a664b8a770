"""A stand-in for GitHub's OAuth and REST API, served on this machine.

GitHub cannot be reached from where hubextras is tested, so tests, benchmarks and the demo hub talk
to this small tornado server instead. It speaks the endpoints a JupyterHub authenticator uses, with
GitHub's paths, shapes, headers and quirks, over a community of orgs, teams and users read from a
JSON file (YAML with PyYAML installed) or a dict::

    standin = GitHubStandIn("community.json").start()
    c.GitHubOAuthenticator.github_url = standin.url   # GitHub Enterprise style
    ...
    standin.stop()

Switches (``latency``, ``outage``, ``rate_limit``, ``garbage_json``, ``drop_scopes``, set with
``set_switches``) make it misbehave the way GitHub sometimes does; ``counts``, ``hub_requests`` and
``rate_limited_requests`` tell what a client asked for; ``add_member`` / ``remove_member`` change the
community while it serves.

The parts: ``community`` (the data), ``representations`` (GitHub's JSON shapes), ``handlers`` (HTTP),
``server`` (the thread and the switches), ``cli`` (``python -m hubextras.testing.github --help``).
"""

from .cli import main
from .community import DEMO_COMMUNITY, Community, CommunityError, load_community
from .server import GitHubStandIn

__all__ = ["DEMO_COMMUNITY", "Community", "CommunityError", "GitHubStandIn", "load_community", "main"]
