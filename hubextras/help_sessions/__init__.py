"""Help sessions by consent: a person shares their server with the champions for a while (pure core + file).

- `sessions`: help requests as plain data: offering, ending, expiring, opening, and who may open what (pure).
- `published`: the requests' one file (written whole) and `HomeHelpSession`, the hub's home-page provider.

The service is `hubextras.services.help_sessions`: it holds the consent, and it alone creates the JupyterHub
shares (`POST /hub/api/shares/<user>/<server>` for one champion at a time, when that champion opens the server)
and revokes them (`PATCH ...` when the person ends it or the window closes).
"""
