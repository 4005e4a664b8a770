"""The package a hub image installs: what product code imports is declared, and the wheel works on its own.

The wheel is built from the tracked files (in a copy, so the tree stays clean), installed into a fresh
venv with only its install requirements (from PyPI; pip's cache makes later runs quicker), and used
from a folder outside the source tree. Then the `demo` extra is added and the demo runs from it.
"""

from __future__ import annotations

import ast
import configparser
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from harness.demo_process import Demo, port_is_free, process_tree, running

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "hubextras"


def requirement_names(text: str) -> set[str]:
    names = set()
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if line:
            names.add(re.split(r"[\s<>=!~\[;@]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def setup_cfg() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    return cfg


def guarded_by_import_error(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """An import inside `try: ... except ImportError` is optional: the code says what to do without it."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError") for h in node.handlers
        ):
            return True
    return False


def third_party_imports() -> dict[str, set[str]]:
    """Top-level modules the product code imports (not optionally), with the files that do."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            if guarded_by_import_error(node, parents):
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "hubextras":
                    found.setdefault(top, set()).add(str(path.relative_to(REPO)))
    return found


# optional features: their modules may import what their extra declares (and nothing else undeclared)
OPTIONAL_FEATURES = {
    "hubextras/dask_gateway/": "dask",
    "hubextras/storage.py": "storage",
    "hubextras/services/shared_data/s3_sources.py": "storage",
    "hubextras/github_push.py": "github-app",
    "hubextras/testing/github/apps.py": "github-app",  # the stand-in's GitHub App endpoints check app JWTs
}


def feature_of(module_or_path: str) -> str | None:
    path = module_or_path.replace(".", "/") if not module_or_path.endswith(".py") else module_or_path
    return next((extra for prefix, extra in OPTIONAL_FEATURES.items()
                 if path.startswith(prefix.removesuffix(".py"))), None)


def test_every_module_the_product_imports_is_an_install_requirement():
    config = setup_cfg()
    declared = requirement_names(config["options"]["install_requires"])
    distributions = packages_distributions()
    undeclared = {}
    for module, files in third_party_imports().items():
        names = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        for file in files:
            extra = feature_of(file)
            allowed = declared | (requirement_names(config["options.extras_require"][extra]) if extra else set())
            if not names & allowed:
                undeclared.setdefault(module, []).append(file)
    assert undeclared == {}


def test_test_only_and_benchmark_only_packages_are_not_install_requirements():
    declared = requirement_names(setup_cfg()["options"]["install_requires"])
    assert declared.isdisjoint({"nbgitpuller", "aiohttp", "pyyaml", "requests-mock", "pytest", "kmock"})


def test_the_extras_the_dev_script_installs_exist():
    extras = set(setup_cfg()["options.extras_require"])
    wanted = re.search(r'pip install --quiet -e "\.\[([a-z,-]+)\]"', (REPO / "dev").read_text()).group(1)
    expected = {"test", "lint", "docs", "demo", "bench", "dask", "storage", "github-app"}
    assert set(wanted.split(",")) == expected <= extras


# -- the wheel in a fresh venv ------------------------------------------------------------

CHECK = textwrap.dedent(
    """
    import importlib, json, os, pkgutil, sys
    from importlib.metadata import entry_points
    from pathlib import Path

    import hubextras
    from hubextras.config import config_d_path, load_config_d, templates_path
    from traitlets.config import Config

    modules, broken = [], {}
    for module in pkgutil.walk_packages(hubextras.__path__, "hubextras."):
        if module.name.endswith(("__main__", "gateway_config")):
            continue  # runs the program, or is the config file dask-gateway-server runs
        try:
            importlib.import_module(module.name)
            modules.append(module.name)
        except Exception as e:
            broken[module.name] = f"{type(e).__name__}: {e}"
    entry = {}
    for group in ("jupyterhub.authenticators", "jupyterhub.spawners"):
        for ep in entry_points(group=group):
            if ep.dist is not None and ep.dist.name == "hubextras":
                try:
                    entry[f"{group}:{ep.name}"] = ep.load().__name__
                except Exception as e:
                    entry[f"{group}:{ep.name}"] = f"{type(e).__name__}: {e}"
    os.environ["JUPYTERHUB_CRYPT_KEY"] = "00" * 32
    c = Config()
    snippets = [Path(p).name for p in load_config_d(c)]
    package = Path(hubextras.__file__).parent
    print(json.dumps({
        "prefix": sys.prefix,
        "package": str(package),
        "modules": modules,
        "broken": broken,
        "entry_points": entry,
        "config_d": str(config_d_path()),
        "snippets": snippets,
        "authenticator": c.JupyterHub.authenticator_class,
        # the usage snippet wraps the chosen spawner class in a recording subclass
        "spawner": [k.__name__ for k in getattr(c.JupyterHub.spawner_class, "__mro__", [])],
        "templates": sorted(p.name for p in templates_path().glob("*.html")),
        "templates_dir": str(templates_path()),
        "service_files": sorted(str(p.relative_to(package)) for p in package.glob("services/*/*/*")
                               if p.is_file() and p.parent.name in ("static", "templates")),
    }))
    """
)


def clean_env(venv: Path) -> dict:
    """The venv's Python alone: no PYTHONPATH to the source tree, no project node_modules on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join([str(venv / "bin"), "/usr/local/bin", "/usr/bin", "/bin"])
    return env


def run(command, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the tracked (and new, not ignored) files."""
    source = tmp_path_factory.mktemp("source")
    files = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO).stdout
    for name in filter(None, files.split("\0")):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)])
    (built,) = out.glob("hubextras-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> tuple[Path, dict]:
    """A fresh venv with the wheel and its install requirements only; what it found is checked at once,
    before any extra is added."""
    venv = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", str(venv)])
    env = clean_env(venv)
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], env=env, timeout=600)
    outside = tmp_path_factory.mktemp("elsewhere")
    found = json.loads(run([str(venv / "bin" / "python"), "-c", CHECK], cwd=outside, env=env).stdout)
    return venv, found


def test_the_wheel_ships_no_test_harness(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith(("tests/", "harness/", "bench/"))]
    assert not [n for n in names if n.startswith("hubextras/testing/") and not n.startswith("hubextras/testing/github/")
                and n != "hubextras/testing/__init__.py"]
    assert "hubextras/testing/github/demo_community.json" in names


def test_the_wheel_ships_snippets_templates_and_entry_points(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    data = [n.split(".data/data/", 1)[1] for n in names if ".data/data/" in n]
    assert "share/hubextras/jupyterhub_config.d/10-github-teams.py" in data
    assert "share/hubextras/jupyterhub_config.d/alternatives/05-google-signin.py" in data
    assert "share/hubextras/templates/login.html" in data
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "github-teams = hubextras.auth:GitHubTeamsAuthenticator" in entry_points


def test_every_module_imports_from_the_installed_wheel(venv):
    venv_dir, found = venv
    # an optional feature's modules need its extra, which this venv has not installed
    assert {name: error for name, error in found["broken"].items()
            if not (feature_of(name) and error.startswith("ModuleNotFoundError"))} == {}
    assert found["package"].startswith(found["prefix"]), "imported from the venv, not the source tree"
    assert {"hubextras.auth.github", "hubextras.demo.launcher", "hubextras.testing.github.server"} <= set(
        found["modules"])


def test_every_entry_point_loads(venv):
    _, found = venv
    assert found["entry_points"] == {
        "jupyterhub.authenticators:github-teams": "GitHubTeamsAuthenticator",
        "jupyterhub.spawners:profiles-kube": "ProfilesKubeSpawner",
        "jupyterhub.spawners:profiles-local": "ProfilesLocalSpawner",
    }


def test_the_bundled_snippets_run_from_the_installed_copy(venv):
    _, found = venv
    assert found["config_d"] == f"{found['prefix']}/share/hubextras/jupyterhub_config.d"
    assert found["snippets"] == sorted(p.name for p in (REPO / "jupyterhub_config.d").glob("*.py"))
    assert found["authenticator"] == "github-teams"
    wrapped = ["UsageRecordedProfilesLocalSpawner", "UsageRecordingSpawner", "ProfilesLocalSpawner"]
    assert found["spawner"][:3] == wrapped


def test_the_templates_and_the_services_files_are_found_in_the_installed_copy(venv):
    _, found = venv
    assert found["templates_dir"] == f"{found['prefix']}/share/hubextras/templates"
    assert found["templates"] == sorted(p.name for p in (REPO / "share" / "templates").glob("*.html"))
    expected = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.glob("services/*/*/*")
                      if p.is_file() and p.parent.name in ("static", "templates"))
    assert found["service_files"] == expected


def test_the_demo_and_the_stand_in_answer_help_without_the_demo_extra(venv, tmp_path):
    venv_dir, _ = venv
    python = str(venv_dir / "bin" / "python")
    demo = run([python, "-m", "hubextras.demo", "--help"], cwd=tmp_path, env=clean_env(venv_dir))
    standin = run([python, "-m", "hubextras.testing.github", "--help"], cwd=tmp_path, env=clean_env(venv_dir))
    assert "--state" in demo.stdout and "--community" in standin.stdout


def test_the_demo_runs_from_the_wheel_with_the_demo_extra(venv, wheel, tmp_path):
    venv_dir, _ = venv
    env = clean_env(venv_dir)
    python = str(venv_dir / "bin" / "python")
    run([python, "-m", "pip", "install", "-q", f"hubextras[demo] @ {wheel.as_uri()}"], env=env, timeout=600)
    demo = Demo(tmp_path, python=python, cwd=tmp_path, env=env)
    try:
        output = demo.wait_ready()
        _, landed = demo.sign_in("alice")
        tree = process_tree(demo.proc.pid)
        code, output = demo.stop(signal.SIGTERM)
    finally:
        demo.close()

    assert landed.status_code == 200, output
    assert code == 0 and running(tree) == set() and port_is_free(demo.port), output
    if shutil.which("configurable-http-proxy", path=env["PATH"]) is None:
        assert "Using the pure-Python configurable-http-proxy" in output  # [demo] brings it; npm's is not here
