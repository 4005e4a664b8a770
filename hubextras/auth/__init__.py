"""Sign-in with GitHub teams."""

from .github import GitHubTeamsAuthenticator

__all__ = ["GitHubTeamsAuthenticator"]
