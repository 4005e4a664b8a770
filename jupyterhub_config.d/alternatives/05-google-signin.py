# Google sign-in for communities without GitHub (see docs/signin.md, "Google instead of GitHub").
# Copy this file next to the other snippets: it sorts before 10-github-teams.py, which then stands aside.
# Access: a Google Workspace domain plus allowed users, or members of Google groups.
import os

from hubextras.config import HubExtras, configured

c.JupyterHub.authenticator_class = "google"
c.GoogleOAuthenticator.client_id = os.environ.get(
    "GOOGLE_CLIENT_ID", configured(c.GoogleOAuthenticator, "client_id", "")
)
c.GoogleOAuthenticator.client_secret = os.environ.get(
    "GOOGLE_CLIENT_SECRET", configured(c.GoogleOAuthenticator, "client_secret", "")
)
# only accounts of this Workspace domain may sign in, e.g. HUBEXTRAS_GOOGLE_DOMAIN=example.org
_domain = os.environ.get("HUBEXTRAS_GOOGLE_DOMAIN", "")
if _domain and "hosted_domain" not in c.GoogleOAuthenticator:
    c.GoogleOAuthenticator.hosted_domain = [_domain]
# admitted people: a list of addresses, or Google groups (groups need a Workspace service account,
# see oauthenticator's GoogleOAuthenticator.gsuite_administrator and google_service_account_keys)
_users = {u for u in os.environ.get("HUBEXTRAS_GOOGLE_USERS", "").split(",") if u}
if _users and "allowed_users" not in c.GoogleOAuthenticator:
    c.GoogleOAuthenticator.allowed_users = _users
# with Google groups synced as JupyterHub groups, the champions "team" is a Google group name
_champions = HubExtras.from_config(c).champions_team
if _champions and ":" not in _champions and _domain and "allowed_google_groups" in c.GoogleOAuthenticator:
    c.GoogleOAuthenticator.manage_groups = True
c.GoogleOAuthenticator.enable_auth_state = True
