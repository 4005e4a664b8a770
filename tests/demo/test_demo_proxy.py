"""Which proxy the demo runs (hubextras/demo/proxy.py): npm's from the project or PATH, else the pure-Python one."""

import sys
from pathlib import Path

import pytest

from hubextras.demo import proxy


def npm_script(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "configurable-http-proxy"
    script.write_text("#!/usr/bin/env node\nrequire('../lib/cli')\n")
    script.chmod(0o755)
    return script


def node_on(folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    node = folder / "node"
    node.write_text("#!/bin/sh\n")
    node.chmod(0o755)
    return str(folder)


def test_the_projects_node_modules_proxy_wins(tmp_path):
    script = npm_script(tmp_path / "project" / "node_modules" / ".bin")
    (tmp_path / "project" / "notebooks").mkdir()

    found = proxy.find_proxy(tmp_path / "project" / "notebooks", node_on(tmp_path / "bin"))

    assert (found.kind, found.command, found.note) == ("npm", [str(script)], "")


def test_an_npm_proxy_on_path_is_found(tmp_path):
    script = npm_script(tmp_path / "global")

    found = proxy.find_proxy(tmp_path, f"{tmp_path / 'global'}:{node_on(tmp_path / 'bin')}")

    assert (found.kind, found.command) == ("npm", [str(script)])


def test_the_python_proxy_of_the_same_name_on_path_is_not_taken_for_npms(tmp_path, monkeypatch):
    python_one = tmp_path / "venv" / "bin" / "configurable-http-proxy"
    python_one.parent.mkdir(parents=True)
    python_one.write_text(f"#!{sys.executable}\nfrom configurable_http_proxy.cli import main\n")
    monkeypatch.setattr(proxy, "python_proxy", lambda: python_one)

    found = proxy.find_proxy(tmp_path, f"{python_one.parent}:{node_on(tmp_path / 'bin')}")

    assert (found.kind, found.command) == ("python", [str(python_one)])
    assert "Using the pure-Python configurable-http-proxy" in found.note
    assert "npm install -g configurable-http-proxy" in found.note


def test_npm_proxy_without_node_falls_back_and_says_why(tmp_path, monkeypatch):
    npm_script(tmp_path / "node_modules" / ".bin")
    monkeypatch.setattr(proxy, "python_proxy", lambda: Path("/venv/bin/configurable-http-proxy"))

    found = proxy.find_proxy(tmp_path, str(tmp_path / "empty"))

    assert found.kind == "python"
    assert "`node` is not on PATH" in found.note


def test_no_proxy_at_all_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setattr(proxy, "python_proxy", lambda: None)

    with pytest.raises(proxy.NoProxy, match=r"npm install -g configurable-http-proxy.*pip install hubextras\[demo\]"):
        proxy.find_proxy(tmp_path, str(tmp_path / "empty"))
