"""nbgitpuller links (pure): one click puts a git repository's material into each user's own home."""

from __future__ import annotations

import posixpath
from urllib.parse import urlencode, urlsplit

from .errors import SharedDataError

INTERFACES = {"lab": "JupyterLab", "notebook": "Notebook", "rstudio": "RStudio"}


def repository_folder(repo: str) -> str:
    """The folder nbgitpuller clones `repo` into (its last path step, without `.git`)."""
    name = posixpath.basename(urlsplit(repo).path.rstrip("/"))
    return name[: -len(".git")] if name.endswith(".git") else name


def nbgitpuller_link(hub_url: str, repo: str, *, branch: str = "", interface: str = "lab", open_path: str = "") -> str:
    """`{hub}/hub/user-redirect/git-pull?repo=...&branch=...&urlpath=...` opening `open_path` in `interface`."""
    if urlsplit(repo).scheme not in ("http", "https") or not urlsplit(repo).netloc:
        raise SharedDataError(f"`{repo}` is not an http(s) git repository URL, like https://github.com/org/course.")
    if interface not in INTERFACES:
        raise SharedDataError(f"Unknown interface `{interface}`: choose one of {', '.join(INTERFACES)}.")
    target = posixpath.join(repository_folder(repo), open_path.strip("/")).rstrip("/")
    urlpath = {"lab": f"lab/tree/{target}", "notebook": f"tree/{target}", "rstudio": "rstudio/"}[interface]
    query = {"repo": repo} | ({"branch": branch} if branch else {}) | {"urlpath": urlpath}
    return f"{hub_url.rstrip('/')}/hub/user-redirect/git-pull?{urlencode(query)}"
