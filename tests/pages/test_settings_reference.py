"""The settings reference of the docs (docs/_ext/hubextras_traits.py): what hubextras adds, each with a help text."""

from pathlib import Path

import pytest
from oauthenticator.github import GitHubOAuthenticator

from hubextras.auth import GitHubTeamsAuthenticator
from hubextras.config import HubExtras

DOCS_EXTENSIONS = Path(__file__).resolve().parents[2] / "docs" / "_ext"


@pytest.fixture
def reference(monkeypatch):
    monkeypatch.syspath_prepend(str(DOCS_EXTENSIONS))
    import hubextras_traits

    return hubextras_traits


def test_authenticator_reference_lists_only_what_hubextras_adds(reference):
    listed = set(reference.own_settings(GitHubTeamsAuthenticator))
    assert {"allowed_teams", "admin_teams", "refresh_grace_seconds"} <= listed
    upstream = set(GitHubOAuthenticator.class_traits(config=True))
    assert listed.isdisjoint(upstream - set(GitHubTeamsAuthenticator.__dict__))


def test_services_package_yields_its_configurables(reference):
    classes, broken = reference.configurables_in("hubextras.services")
    assert broken == []
    assert {cls.__name__ for cls in classes} >= {"SharedDataService", "ServersPanel"}


def test_module_that_does_not_import_is_reported_not_raised(reference, tmp_path, monkeypatch):
    package = tmp_path / "half_installed"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "needs_kubernetes.py").write_text("raise ImportError('kubespawner is not installed')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    classes, broken = reference.configurables_in("half_installed")
    assert classes == []
    assert broken == [("half_installed.needs_kubernetes", "ImportError: kubespawner is not installed")]


def hubextras_configurables(reference):
    classes = [HubExtras, GitHubTeamsAuthenticator]
    for package in ("hubextras.spawners", "hubextras.services"):
        found, broken = reference.configurables_in(package)
        assert broken == [], f"{package} has modules that do not import: {broken}"
        classes += found
    return classes


def test_every_hubextras_setting_has_a_help_text(reference):
    undocumented = [
        f"{cls.__name__}.{name}"
        for cls in hubextras_configurables(reference)
        for name, trait in reference.own_settings(cls).items()
        if not (trait.help or "").strip()
    ]
    assert undocumented == []
