"""The gateway's local backend hands over only the cluster's own working folder to its owner's account."""

import os
import pwd

from hubextras.dask_gateway.backend import PersonAccountLocalBackend


def test_only_the_clusters_working_folder_changes_owner(tmp_path, monkeypatch):
    workdir = tmp_path / "dask-cluster"
    (workdir / ".certs").mkdir(parents=True)
    (workdir / ".certs" / "dask.crt").write_text("cert")
    (workdir / "logs").mkdir()
    cert = str(workdir / ".certs" / "dask.crt")
    # what upstream's setup_working_directory passes: the folders, then the certificate path one character each
    paths = [str(workdir), str(workdir / ".certs"), str(workdir / "logs"), *cert]
    owned = []
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(os, "chown", lambda path, uid, gid, follow_symlinks=True: owned.append(str(path)))
    backend = PersonAccountLocalBackend()
    monkeypatch.setattr(backend, "account", lambda username: pwd.struct_passwd(
        ("jupyter-alice", "x", 1234, 1234, "", "/home/jupyter-alice", "/bin/sh")))
    backend.set_file_permissions(paths, "alice")
    assert "/" not in owned and all(p == str(workdir) or p.startswith(str(workdir) + os.sep) for p in owned)
    assert cert in owned and str(workdir / "logs") in owned
