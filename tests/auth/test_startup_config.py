"""Configuration mistakes stop the hub at startup with a message that says what to fix."""

import pytest
from harness.hub import HubProcess


def start_expecting_failure(tmp_path, **kwargs) -> str:
    hub = HubProcess(tmp_path, **kwargs)
    try:
        with pytest.raises(RuntimeError) as failed:
            hub.start(timeout=60)
        return str(failed.value)
    finally:
        hub.stop()


def test_malformed_allowed_teams_entry_fails_at_startup(tmp_path):
    log = start_expecting_failure(tmp_path, allowed_teams=("hub-users",))
    assert "allowed_teams" in log and "'hub-users' is not written as 'org:team-slug'" in log


def test_scope_without_read_org_fails_at_startup(tmp_path):
    log = start_expecting_failure(tmp_path, config='c.GitHubTeamsAuthenticator.scope = ["user:email"]')
    assert "Add 'read:org' to c.GitHubTeamsAuthenticator.scope" in log
