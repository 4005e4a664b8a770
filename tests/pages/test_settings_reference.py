"""The settings reference (docs/reference.md, autodoc-traits): every hubextras setting, once, with a help text."""

import importlib
import importlib.util
import inspect
import pkgutil
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from traitlets.config import Configurable

import hubextras
from hubextras.auth import GitHubTeamsAuthenticator
from hubextras.spawners.local import ProfilesLocalSpawner

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def conf():
    spec = importlib.util.spec_from_file_location("hubextras_docs_conf", DOCS / "conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def configurables_with_settings() -> set[str]:
    """Every Configurable of hubextras that defines settings of its own, as `module.Class`."""
    found = set()
    for module_info in pkgutil.walk_packages(hubextras.__path__, "hubextras."):
        if module_info.name.endswith(("__main__", "gateway_config")):
            continue  # runs a program, or is the config file dask-gateway-server runs
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, Configurable) \
                    and cls.class_own_traits(config=True):
                found.add(f"{cls.__module__}.{cls.__name__}")
    return found


def documented_in_reference() -> set[str]:
    return set(re.findall(r"^\.\. autoconfigurable:: (\S+)$", (DOCS / "reference.md").read_text(), re.M))


def public_path(dotted: str) -> str:
    module, _, name = dotted.rpartition(".")
    return f"{getattr(importlib.import_module(module), name).__module__}.{name}"


def test_every_class_with_settings_is_in_the_reference():
    assert {public_path(d) for d in documented_in_reference()} == configurables_with_settings()


def skipped(conf, documented, trait_name):
    app = SimpleNamespace(env=SimpleNamespace())
    conf.remember_documented_class(app, "configurable", documented.__name__, documented, {}, [])
    trait = documented.class_traits()[trait_name]
    return conf.settings_the_class_adds(app, "attribute", trait_name, trait, False, {})


def test_the_authenticator_lists_what_hubextras_adds_not_oauthenticators_settings(conf):
    assert skipped(conf, GitHubTeamsAuthenticator, "allowed_teams") is False
    assert skipped(conf, GitHubTeamsAuthenticator, "client_id") is True


def test_a_spawner_lists_its_own_settings_and_not_the_profile_engines_twice(conf):
    assert skipped(conf, ProfilesLocalSpawner, "memory_cap_fraction") is False
    assert skipped(conf, ProfilesLocalSpawner, "profile_list") is True  # listed under ProfilesSpawner
    assert skipped(conf, ProfilesLocalSpawner, "home_dir_template") is True  # JupyterHub's


def test_every_hubextras_setting_has_a_help_text():
    undocumented = []
    for dotted in configurables_with_settings():
        module, _, name = dotted.rpartition(".")
        cls = getattr(importlib.import_module(module), name)
        undocumented += [f"{name}.{trait}" for trait, t in cls.class_own_traits(config=True).items()
                         if not (t.help or "").strip()]
    assert undocumented == []


def test_no_other_page_has_a_table_of_settings():
    header = re.compile(r"^\|\s*`?(trait|setting|option)s?`?\s*\|", re.I | re.M)
    pages = [p.name for p in DOCS.glob("*.md") if p.name != "reference.md" and header.search(p.read_text())]
    assert pages == []
