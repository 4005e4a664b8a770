"""The gateway's side (runs inside `dask-gateway-server`): the JupyterHub role check with a clear refusal, and
the local backend that runs each cluster as its owner's own account (the one-machine accounts of
`hubextras.spawners`), never as root."""

from __future__ import annotations

import os
import pwd

from aiohttp import web
from dask_gateway_server.auth import JupyterHubAuthenticator
from dask_gateway_server.backends.local import LocalBackend
from traitlets import Integer, List, Unicode, default

from ..spawners.accounts import account_name
from . import ACCESS_SCOPE


def refusal_message(groups: list[str], contact: str) -> str:
    """What a person without the Dask role hears (an HTTP reason: one line, ASCII)."""
    who = f"members of {', '.join(groups)}" if groups else "people a hub admin has given the dask-gateway role"
    return (f"You may not start Dask clusters on this hub: Dask Gateway is for {who}. "
            f"Ask {contact} to add you.").encode("ascii", "replace").decode()


class HubRoleAuthenticator(JupyterHubAuthenticator):
    """JupyterHub's token check, then the role: a token without `access:services!service=dask-gateway`
    gets an answer that says who may and whom to ask (upstream answers a bare 401). It is a 422, not a 403:
    dask-gateway's client shows the message of 404 and 422 answers only (as a ValueError)."""

    allowed_groups = List(Unicode(), config=True, help="Groups granted the role (named in the refusal).")
    contact = Unicode("a hub champion", config=True, help="Whom people should ask (named in the refusal).")

    @default("use_service_access_scopes")
    def _checked_here_with_a_message(self):
        return False

    async def authenticate(self, request):
        user = await super().authenticate(request)
        if user.name.startswith("service:"):
            raise web.HTTPUnprocessableEntity(reason="Dask clusters are for people, not services.")
        answer = await self.session.get(f"{self.jupyterhub_api_url}/user", ssl=self.ssl_context,
                                        headers={"Authorization": f"token {self.get_token(request)}"})
        scopes = set((await answer.json()).get("scopes", [])) if answer.status < 400 else set()
        if not scopes & {"access:services", ACCESS_SCOPE}:
            raise web.HTTPUnprocessableEntity(reason=refusal_message(self.allowed_groups, self.contact))
        return user


class PersonAccountLocalBackend(LocalBackend):
    """The local backend, each cluster as the account `account_template` gives its owner when the gateway runs
    as root; as the gateway's own account otherwise (nothing isolated, as with the one-machine spawner)."""

    account_template = Unicode("jupyter-{username}", config=True, help="As ProfilesLocalSpawner.account_template.")
    min_account_uid = Integer(1000, config=True, help="Lowest uid a cluster may run as.")

    def account(self, username: str) -> pwd.struct_passwd:
        name = account_name(self.account_template, username)
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            raise RuntimeError(f"{username} has no account ({name}) on this machine yet: start your server from "
                               "the hub's home page once, then try again.") from None
        if entry.pw_uid < self.min_account_uid:
            raise RuntimeError(f"The account {name} is a system account (uid {entry.pw_uid}); clusters never run "
                               "as one. Ask the hub's operator.")
        return entry

    def set_file_permissions(self, paths, username):
        if os.geteuid() != 0:
            return
        entry = self.account(username)
        # upstream hands the certificate files over one character each (`paths.extend(path)`): own whole folders
        # only the cluster's own working folder and the folders in it: the stray one-character entries include "/"
        workdir = paths[0]
        inside = [p for p in paths if len(p) > 1 and (p == workdir or p.startswith(workdir + os.sep))]
        for folder in [p for p in inside if os.path.isdir(p) and not os.path.islink(p)]:
            os.chown(folder, entry.pw_uid, entry.pw_gid)
            for name in os.listdir(folder):
                os.chown(os.path.join(folder, name), entry.pw_uid, entry.pw_gid, follow_symlinks=False)

    def make_preexec_fn(self, cluster):
        workdir = cluster.state["workdir"]
        entry = self.account(cluster.username) if os.geteuid() == 0 else None

        def preexec():  # pragma: no cover - runs in the child
            if entry is not None:
                os.setgid(entry.pw_gid)
                os.setgroups([entry.pw_gid])
                os.setuid(entry.pw_uid)
            os.chdir(workdir)

        return preexec

    def get_env(self, cluster):
        env = super().get_env(cluster)
        if cluster.state.get("workdir"):  # dask's default, /tmp/dask-scratch-space, would be shared by everyone
            env["DASK_TEMPORARY_DIRECTORY"] = cluster.state["workdir"]
        if os.geteuid() == 0:
            entry = self.account(cluster.username)
            env.update(USER=entry.pw_name, LOGNAME=entry.pw_name, HOME=entry.pw_dir)
        return env

