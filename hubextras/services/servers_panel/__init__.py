"""The servers panel: hub champions see every user's servers and stop, restart or start them.

- `rows`: the pure core (rows from hub models, search/filter/sort/pages, scopes, bulk plans and progress);
- `hub_client`: the one place that talks to the hub's REST API (bounded, paginated, 429- and 202-aware);
- `records`: the audit log and the bulk actions' saved progress;
- `usage`: memory and CPU of servers on this machine;
- `app`: the tornado handlers, the page and `python -m hubextras.services.servers_panel`.
"""
