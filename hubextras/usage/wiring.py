"""What the `70-usage.py` snippet does, as one tested function."""

from __future__ import annotations

import secrets

from traitlets.config import Config

from ..config import add_role, add_service, configured
from .metrics import register_group_membership
from .recorder import (
    USAGE_SERVICE,
    group_memberships,
    log_usage_request,
    recording_spawner_class,
    spawner_class_of,
    usage_template_state,
)

# what the hub side does with the usage service's token: stop servers over quota
USAGE_SERVICE_SCOPES = ["servers", "read:users", "list:users"]


def configure_usage(c: Config, service: dict | None = None) -> None:
    """Record usage on the configured spawner and enforce quotas; running it twice changes nothing.

    `service` adds to the `usage` service entry (the pages' command and url).
    """
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
    add_service(c, {"name": USAGE_SERVICE, "api_token": token, **(service or {})})
    add_role(
        c,
        "hubextras-usage",
        description="The usage recorder: stops servers over quota after the grace",
        scopes=USAGE_SERVICE_SCOPES,
        services=[USAGE_SERVICE],
    )
    register_group_membership(group_memberships, configured(c.UsageRecorder, "namespace", ""))
