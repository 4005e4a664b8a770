"""A smoke check to run after each deploy: `python -m hubextras.check https://hub.example.org --token ...`.

It asks the hub, as an operator's API token (an admin's, or a service's with `list:services`,
`read:services` and `read:groups`), whether:

- the hub answers, and the token works;
- hubextras' services are registered and answer through the proxy;
- the roles are what the config says: the champions' team group carries the champions' role;
- a test user's spawn form renders (`--user-cookie`: the `Cookie` header of a browser signed in as a
  test account, since JupyterHub's pages take no API tokens).

It prints one line per check and, for each problem, what is wrong and what to do, in an
operator's words. The exit status is 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote, urljoin

SERVICES = ("shared-data", "servers-panel")
CHAMPIONS_ROLE = "hubextras-champions"
# answers through the proxy that show the service is up: its page, or its redirect to the hub's login
ANSWERING = (200, 301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Finding:
    """One check's outcome: `ok`, the line shown, and what to do when it failed."""

    ok: bool
    what: str
    todo: str = ""

    def line(self) -> str:
        return f"ok       {self.what}" if self.ok else f"PROBLEM  {self.what}\n         What to do: {self.todo}"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    headers: dict


# -- judging what the hub answered (pure) -----------------------------------------------------------

def judge_hub(answer: Answer | None, url: str) -> Finding:
    if answer is None or answer.status != 200:
        got = "no answer" if answer is None else f"HTTP {answer.status}"
        return Finding(False, f"The hub at {url} does not answer its API ({got}).",
                       "Check the hub's public address, its TLS certificate, and that the hub and proxy pods run.")
    version = json.loads(answer.body or "{}").get("version", "?")
    return Finding(True, f"The hub answers (JupyterHub {version}).")


def judge_token(answer: Answer) -> Finding:
    if answer.status == 200:
        who = json.loads(answer.body)
        return Finding(True, f"The token works: it is {who.get('kind', 'user')} '{who.get('name')}'.")
    return Finding(False, f"The hub does not accept the token (HTTP {answer.status}).",
                   "Give an admin's API token (from /hub/token) or a service's api_token with --token.")


def judge_services_registered(services: dict) -> list[Finding]:
    findings = []
    for name in SERVICES:
        if name in services:
            findings.append(Finding(True, f"The service '{name}' is registered."))
        else:
            findings.append(Finding(
                False, f"The hub has no service '{name}'.",
                "Its snippet did not run: check that hub.extraFiles mounts the file that calls "
                "load_config_d(c) in /usr/local/etc/jupyterhub/jupyterhub_config.d/, and look for errors "
                "near its name in the hub's log."))
    return findings


def judge_service_answer(name: str, answer: Answer | None, url: str) -> Finding:
    if answer is not None and answer.status in ANSWERING:
        return Finding(True, f"The service '{name}' answers through the proxy.")
    got = "no answer" if answer is None else f"HTTP {answer.status}"
    return Finding(
        False, f"The service '{name}' does not answer through the proxy ({got}) at {url}.",
        f"The proxy cannot reach it: on z2jh, the service must listen on the hub pod's address (POD_IP) and "
        f"hub.networkPolicy.ingress must let the proxy reach its port; see the hub's log for '{name}' errors.")


def judge_champions_group(team: str, answer: Answer | None) -> Finding:
    if answer is None or answer.status == 404:
        return Finding(False, f"There is no group '{team}' (the champions' team) on the hub yet.",
                       "It appears when a member of the team signs in. If champions are signed in and it is still "
                       "missing, check HubExtras.champions_team (written org:team-slug).")
    roles = json.loads(answer.body).get("roles", [])
    if CHAMPIONS_ROLE in roles:
        return Finding(True, f"The champions' team '{team}' has the role '{CHAMPIONS_ROLE}'.")
    return Finding(False, f"The champions' team '{team}' lacks the role '{CHAMPIONS_ROLE}' (it has: "
                          f"{', '.join(roles) or 'none'}): champions cannot open the panels.",
                   "A snippet or hub.config that sets JupyterHub.load_roles replaced hubextras' roles: "
                   "add roles with hubextras.config.add_role instead of assigning load_roles.")


def judge_spawn_form(answer: Answer | None) -> Finding:
    if answer is not None and answer.status == 200 and 'name="profile"' in answer.body:
        return Finding(True, "The spawn form renders for the test user, with its profiles.")
    if answer is not None and answer.status == 200:
        return Finding(False, "The spawn page for the test user shows no profile choice.",
                       "Check singleuser.profileList and that JupyterHub.spawner_class is profiles-kube.")
    if answer is not None and answer.status in (301, 302, 303):
        where = answer.headers.get("location", "")
        if "/login" in where:
            return Finding(False, "The test user's cookie is not signed in (the hub sends it to the login page).",
                           "Sign in as the test user in a browser and copy its Cookie header again.")
        return Finding(False, f"The test user's spawn page redirects to {where}: their server is running.",
                       "Stop the test user's server, then run the check again.")
    got = "no answer" if answer is None else f"HTTP {answer.status}"
    return Finding(False, f"The spawn form does not render for the test user ({got}).",
                   "A 403 means none of the user's teams is allowed a profile (allowed_groups); "
                   "a 500 means the profile list or a hook failed: the hub's log has the traceback.")


def champions_team_from_values(paths: list[str]) -> str:
    """HubExtras.champions_team from z2jh values files (the last one that sets it wins)."""
    try:
        import yaml  # only for --values: PyYAML is in every z2jh hub image, not an install requirement of ours
    except ImportError:
        raise SystemExit("Reading values files needs PyYAML: pip install pyyaml") from None
    team = ""
    for path in paths:
        with open(path) as f:
            values = yaml.safe_load(f) or {}
        team = ((values.get("hub") or {}).get("config") or {}).get("HubExtras", {}).get("champions_team") or team
    return team


# -- talking to the hub (thin) ----------------------------------------------------------------------

class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _lower(headers) -> dict:
    return {key.lower(): value for key, value in headers.items()}


def fetch(url: str, token: str = "", *, cookie: str = "", timeout: float = 20) -> Answer | None:
    """One GET; HTTP errors are answers, network failures None."""
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"token {token}")
    if cookie:
        request.add_header("Cookie", cookie)
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            return Answer(response.status, response.read().decode("utf-8", "replace"), _lower(response.headers))
    except urllib.error.HTTPError as e:
        return Answer(e.code, e.read().decode("utf-8", "replace"), _lower(e.headers or {}))
    except (urllib.error.URLError, OSError):
        return None


def run_checks(hub_url: str, token: str, *, champions_team: str = "", user_cookie: str = "") -> list[Finding]:
    base = hub_url.rstrip("/") + "/"
    api = urljoin(base, "hub/api/")
    hub = judge_hub(fetch(api), hub_url)
    if not hub.ok:
        return [hub]
    findings = [hub]
    me = fetch(urljoin(api, "user"), token) or Answer(0, "", {})
    findings.append(judge_token(me))
    if not findings[-1].ok:
        return findings
    services_answer = fetch(urljoin(api, "services"), token)
    services = json.loads(services_answer.body) if services_answer and services_answer.status == 200 else {}
    findings += judge_services_registered(services)
    for name in SERVICES:
        if name in services:
            url = urljoin(base, services[name].get("prefix", f"services/{name}/").lstrip("/"))
            findings.append(judge_service_answer(name, fetch(url), url))
    if champions_team:
        findings.append(judge_champions_group(champions_team, fetch(urljoin(api, f"groups/{quote(champions_team)}"),
                                                                    token)))
    if user_cookie:
        form = fetch(urljoin(base, "hub/spawn"), cookie=user_cookie)
        findings.append(judge_spawn_form(form))
    return findings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hubextras.check", description=__doc__.split("\n\n")[0])
    parser.add_argument("hub_url", help="the hub's public address, such as https://hub.example.org")
    parser.add_argument("--token", required=True, help="an admin's API token, or a service's api_token")
    parser.add_argument("--values", action="append", default=[],
                        help="z2jh values files, to read HubExtras.champions_team from (repeatable)")
    parser.add_argument("--champions-team", default="", help="the champions' team as org:team-slug")
    parser.add_argument("--user-cookie", default="",
                        help="the Cookie header of a browser signed in as a test user, to render their spawn form")
    args = parser.parse_args(argv)
    team = args.champions_team or champions_team_from_values(args.values)
    findings = run_checks(args.hub_url, args.token, champions_team=team, user_cookie=args.user_cookie)
    for finding in findings:
        print(finding.line())
    problems = sum(not f.ok for f in findings)
    print(f"\n{len(findings) - problems} checks passed, {problems} problem{'s' if problems != 1 else ''}.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
