# Help sessions by consent (docs/help-sessions-operators.md): people share their server with the champions for a
# while through a managed service, which makes and revokes the JupyterHub shares. `c.HelpSessionsService.*`.
from hubextras.help_sessions.wiring import add_help_sessions

add_help_sessions(c)
