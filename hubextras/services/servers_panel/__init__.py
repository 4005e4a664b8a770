"""The servers panel: hub champions see every user's servers and stop, restart or start them.

Built on the service base (`hubextras.services.base`); what is its own:

- `settings`: its configuration (`c.ServersPanel.*` traits);
- `rows` and `bodies`: the pure core (rows from hub models, search/filter/sort/pages, what scopes allow,
  bulk plans and progress; the API's body models and their size bound);
- `directory`: the rows a champion asked for, read from the hub with their token;
- `bulk`: the bulk runner (bounded concurrency, saved progress, audit);
- `hub_client`: the one place that talks to the hub's REST API (bounded, paginated, 429- and 202-aware);
- `records`: the bulk actions' saved progress; `usage` / `kube_usage`: servers' resource use;
- `handlers`: the page and the JSON API; `app`: the wiring (`python -m hubextras.services.servers_panel`).
"""
