# Sign in with GitHub teams, unless the operator chose another authenticator (see docs/signin.md).
import os

from hubextras.config import HubExtras, configured

if "authenticator_class" not in c.JupyterHub:
    c.JupyterHub.authenticator_class = "github-teams"

_ours = ("github-teams", "hubextras.auth.GitHubTeamsAuthenticator")
if configured(c.JupyterHub, "authenticator_class") in _ours:
    _champions = HubExtras.from_config(c).champions_team
    if _champions:
        # champions sign in like everyone else: their team is admitted
        _teams = set(configured(c.GitHubTeamsAuthenticator, "allowed_teams", set()))
        c.GitHubTeamsAuthenticator.allowed_teams = _teams | {_champions}
    if "JUPYTERHUB_CRYPT_KEY" not in os.environ and "keys" not in c.CryptKeeper:
        # teams live in encrypted auth_state; without a key the hub cannot start
        raise SystemExit(
            "hubextras: set JUPYTERHUB_CRYPT_KEY (for example `export JUPYTERHUB_CRYPT_KEY=$(openssl rand -hex 32)`, "
            "or c.CryptKeeper.keys): GitHub teams are kept in encrypted auth_state."
        )
