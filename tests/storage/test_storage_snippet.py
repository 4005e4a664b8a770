"""The object-storage snippet: nothing without a bucket; the hub's keys never configured into servers; hooks chain."""

import asyncio

import pytest
from traitlets.config import Config

from hubextras.storage import chain_pre_spawn_hook, configure_object_storage


def test_without_a_bucket_nothing_is_added():
    c = Config()
    configure_object_storage(c)
    assert "pre_spawn_hook" not in c.Spawner


def test_passing_the_hubs_keys_to_servers_is_refused_at_startup():
    c = Config()
    c.ObjectStorage.scratch_bucket = "scratch"
    c.Spawner.env_keep = ["PATH", "AWS_SECRET_ACCESS_KEY"]
    with pytest.raises(SystemExit, match="gives everyone the hub's storage keys"):
        configure_object_storage(c)


def test_assume_role_mode_needs_a_role():
    c = Config()
    c.ObjectStorage.scratch_bucket = "scratch"
    c.ObjectStorage.credentials = "sts-assume-role"
    with pytest.raises(SystemExit, match="set ObjectStorage.role_arn"):
        configure_object_storage(c)


def test_an_earlier_pre_spawn_hook_still_runs_first():
    ran = []
    c = Config()
    c.Spawner.pre_spawn_hook = lambda spawner: ran.append("operator's")

    async def ours(spawner):
        ran.append("ours")

    chain_pre_spawn_hook(c, ours)
    chain_pre_spawn_hook(c, ours)  # a snippet run twice adds nothing twice
    asyncio.run(c.Spawner.pre_spawn_hook(object()))
    assert ran == ["operator's", "ours"]
