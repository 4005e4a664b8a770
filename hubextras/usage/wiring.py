"""What the `70-usage.py` snippet does, as one tested function."""

from __future__ import annotations

import os
import secrets

from traitlets.config import Config

from ..config import (
    HubExtras,
    add_custom_scopes,
    add_managed_service,
    add_role,
    add_service,
    configured,
    grant_every_user,
    service_settings,
)
from ..scopes import (
    CHAMPIONS_ROLE,
    USAGE_BUMP,
    USAGE_READ,
    USAGE_SERVICE,
    access_scope,
)
from .metrics import register_group_membership
from .recorder import (
    UsagePrices,
    UsageQuotas,
    UsageRecorder,
    group_memberships,
    log_usage_request,
    recording_spawner_class,
    spawner_class_of,
    usage_template_state,
)

# what the hub side does with the usage service's token: stop servers over quota
USAGE_SERVICE_SCOPES = ["servers", "read:users", "list:users"]
# what the pages' OAuth tokens may carry: the usage scopes (as the hub filters them) and the person's groups
USAGE_OAUTH_SCOPES = [USAGE_READ, USAGE_BUMP, "read:users:groups!user"]


def usage_pages_service(c: Config, token: str) -> dict:
    """The managed service of the usage pages (on the service foundation), with the hub's quota and price
    settings as its own, and `token` as its API token (the hub side uses it too)."""
    from ..services.usage.app import UsageService

    recorder = UsageRecorder(config=c)
    quotas, prices = UsageQuotas(config=c), UsagePrices(config=c)
    settings = {
        "store_path": recorder.store_path,
        "clock_file": recorder.clock_file,
        "policies": dict(quotas.policies),
        "default_policy": dict(quotas.default_policy),
        "headroom_hours": quotas.headroom_hours,
        "per_gib_hour": prices.per_gib_hour,
        "per_cpu_hour": prices.per_cpu_hour,
        "per_gb_month": prices.per_gb_month,
        "currency": prices.currency,
        "data_dir": os.path.abspath("usage-service"),
        **service_settings(c, "UsageService", UsageService, USAGE_SERVICE),
    }
    add_custom_scopes(
        c,
        {
            USAGE_READ: {"description": "See the hub's usage figures (filter by group to limit them to its members)."},
            USAGE_BUMP: {"description": "Grant people temporary quota increases (filter by group as for reading)."},
        },
    )
    service = add_managed_service(
        c,
        UsageService,
        module="hubextras.services.usage",
        settings=settings,
        oauth_scopes=USAGE_OAUTH_SCOPES,
        environment={"HUBEXTRAS_COMMUNITY_NAME": HubExtras.from_config(c).community_name},
        info={"description": "Who used what, quotas and estimated cost"},
    )
    add_service(c, {**service, "api_token": token})
    add_role(c, CHAMPIONS_ROLE, scopes=[USAGE_READ, USAGE_BUMP, access_scope(USAGE_SERVICE)])
    grant_every_user(c, [access_scope(USAGE_SERVICE)])  # everyone may open their own usage page
    return service


def configure_usage(c: Config, *, pages: bool = True) -> None:
    """Record usage on the configured spawner, enforce quotas and (with `pages`) run the usage pages' service;
    running it twice changes nothing."""
    c.JupyterHub.spawner_class = recording_spawner_class(
        spawner_class_of(configured(c.JupyterHub, "spawner_class", "default"))
    )

    tornado_settings = dict(configured(c.JupyterHub, "tornado_settings", {}))
    operator_log = tornado_settings.get("log_function")
    if operator_log is None or operator_log is log_usage_request:
        tornado_settings["log_function"] = log_usage_request
    elif not getattr(operator_log, "_hubextras_usage", False):

        def operator_then_usage_log(handler):
            operator_log(handler)
            from .recorder import UsageRecorder

            if UsageRecorder._instance is not None:
                UsageRecorder._instance.note_request(handler)

        operator_then_usage_log._hubextras_usage = True
        tornado_settings["log_function"] = operator_then_usage_log
    c.JupyterHub.tornado_settings = tornado_settings

    c.JupyterHub.template_vars = {
        **configured(c.JupyterHub, "template_vars", {}),
        "hubextras_usage": usage_template_state,
    }

    token = (
        configured(c.UsageRecorder, "api_token")
        or next(
            (s.get("api_token") for s in configured(c.JupyterHub, "services", []) if s.get("name") == USAGE_SERVICE),
            None,
        )
        or secrets.token_hex(32)
    )
    c.UsageRecorder.api_token = token
    if pages:
        usage_pages_service(c, token)
        if not configured(c.UsageRecorder, "usage_page_url"):
            base = configured(c.JupyterHub, "base_url", "/").rstrip("/")
            c.UsageRecorder.usage_page_url = f"{base}/services/{USAGE_SERVICE}/me"
    else:
        add_service(c, {"name": USAGE_SERVICE, "api_token": token})
    add_role(
        c,
        "hubextras-usage",
        description="The usage recorder and pages: stop servers over quota, read groups",
        scopes=USAGE_SERVICE_SCOPES,
        services=[USAGE_SERVICE],
    )
    register_group_membership(group_memberships, configured(c.UsageRecorder, "namespace", ""))
