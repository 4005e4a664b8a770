"""The hub side, driven directly: store failures fail open or closed (counted), how servers end, the wrapper."""

import time
from dataclasses import dataclass, field

import pytest
from tornado import web
from traitlets.config import Config

from hubextras.usage import metrics
from hubextras.usage.clock import set_clock
from hubextras.usage.recorder import UsageRecorder, UsageRecordingSpawner, recording_spawner_class
from hubextras.usage.store import UsageStore

GIB = 1024**3


@dataclass
class Group:
    name: str


@dataclass
class User:
    name: str
    groups: list = field(default_factory=list)


class FakeSpawner:
    """What the recorder reads of a spawner: user, name, options and the applied sizes."""

    def __init__(self, user="ada", groups=("course",), profile="small", server=""):
        self.user = User(user, [Group(g) for g in groups])
        self.name, self.user_options = server, {"profile": profile}
        self.mem_guarantee, self.mem_limit, self.cpu_guarantee, self.cpu_limit = GIB, 2 * GIB, 1.0, 2.0
        self._log_name = f"{user}:{server}"


def recorder(tmp_path, **settings) -> UsageRecorder:
    c = Config()
    c.UsageRecorder.store_path = str(settings.pop("store_path", tmp_path / "usage.sqlite"))
    c.UsageRecorder.clock_file = str(tmp_path / "now")
    for key, value in settings.pop("quotas", {}).items():
        setattr(c.UsageQuotas, key, value)
    for key, value in settings.items():
        setattr(c.UsageRecorder, key, value)
    set_clock(str(tmp_path / "now"), 1000.0)
    return UsageRecorder(config=c)


def failures(operation, outcome):
    return metrics.STORE_FAILURES.labels(operation, outcome)._value.get()


def unusable_store(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    return tmp_path / "a-file" / "usage.sqlite"


async def test_a_failing_store_lets_starts_through_when_failing_open_and_counts_it(tmp_path):
    rec = recorder(tmp_path, store_path=unusable_store(tmp_path), on_store_failure="open")
    before = failures("quota_check", "error")
    await rec.before_start(FakeSpawner())
    assert failures("quota_check", "error") == before + 1


async def test_a_failing_store_refuses_starts_when_failing_closed_with_a_retry_message(tmp_path):
    rec = recorder(tmp_path, store_path=unusable_store(tmp_path), on_store_failure="closed")
    with pytest.raises(web.HTTPError) as refused:
        await rec.before_start(FakeSpawner())
    assert refused.value.status_code == 429  # a handled refusal: never counted toward consecutive_failure_limit
    assert "Try again in a few minutes" in refused.value.jupyterhub_message


async def test_a_slow_store_is_given_up_after_the_timeout(tmp_path, monkeypatch):
    rec = recorder(
        tmp_path,
        store_timeout=0.2,
        on_store_failure="open",
        quotas={"default_policy": {"limits": [{"resource": "server_hours", "amount": 5, "days": 1}]}},
    )
    monkeypatch.setattr(UsageStore, "of_user", lambda *args: time.sleep(1) or [])
    before = failures("quota_check", "timeout")
    started = time.monotonic()
    await rec.before_start(FakeSpawner())
    assert time.monotonic() - started < 0.9
    assert failures("quota_check", "timeout") == before + 1


async def test_a_start_is_recorded_with_the_sizes_the_spawner_applied(tmp_path):
    rec = recorder(tmp_path)
    spawner = FakeSpawner(profile="medium")
    await rec.before_start(spawner)
    record = rec.store.get(spawner._usage_record_id)
    assert (record.user, record.groups, record.profile, record.mem_guarantee, record.cpu_limit, record.started) == (
        "ada",
        ("course",),
        "medium",
        GIB,
        2.0,
        1000.0,
    )


async def test_a_spawner_that_reports_out_of_memory_ends_the_record_so(tmp_path):
    rec = recorder(tmp_path)
    spawner = FakeSpawner()
    await rec.before_start(spawner)
    record_id = spawner._usage_record_id
    spawner.usage_end_reason = "out_of_memory"
    set_clock(str(tmp_path / "now"), 4600.0)
    await rec.after_stop(spawner)
    record = rec.store.get(record_id)
    assert (record.stopped, record.ended) == (4600.0, "out_of_memory")


async def test_a_stop_the_culler_asked_for_that_is_still_pending_ends_as_culled(tmp_path):
    rec = recorder(tmp_path)
    spawner = FakeSpawner()
    await rec.before_start(spawner)
    record_id = spawner._usage_record_id

    class Culler:
        kind, name = "service", "idle-culler"

    class UserServerAPIHandler:
        request = type("Request", (), {"method": "DELETE"})()
        path_args = ("ada",)
        _jupyterhub_user = Culler()

        def get_status(self):
            return 202

    rec.note_request(UserServerAPIHandler())
    await rec.after_stop(spawner)
    assert rec.store.get(record_id).ended == "culled"


async def test_a_stop_after_a_restart_finds_the_open_record(tmp_path):
    rec = recorder(tmp_path)
    await rec.before_start(FakeSpawner())
    after_restart = FakeSpawner()  # a new spawner object: the hub restarted
    await rec.after_stop(after_restart)
    assert rec.store.last_record("ada", "").ended == "stopped"


async def test_the_wrapper_records_a_failed_start(tmp_path, monkeypatch):
    rec = recorder(tmp_path)
    monkeypatch.setattr(UsageRecorder, "_instance", rec)

    class BrokenSpawner:
        config, log = Config(), rec.log

        async def start(self):
            raise RuntimeError("no such program")

    wrapped = recording_spawner_class(BrokenSpawner)
    assert issubclass(wrapped, UsageRecordingSpawner) and recording_spawner_class(wrapped) is wrapped
    spawner = wrapped()
    vars(spawner).update(vars(FakeSpawner()))
    with pytest.raises(RuntimeError):
        await spawner.start()
    assert rec.store.last_record("ada", "").ended == "failed"


def test_policies_that_cannot_be_read_stop_the_hub_with_the_reason():
    from hubextras.usage.recorder import UsageQuotas

    with pytest.raises(Exception, match="c.UsageQuotas.policies: limit 1 of the quota policy for 'course'"):
        UsageQuotas(policies={"course": {"limits": [{"resource": "memory", "amount": 1, "days": 1}]}})


def test_running_twice_changes_nothing():
    from hubextras.usage.wiring import configure_usage

    c = Config()
    c.JupyterHub.spawner_class = "simple"
    configure_usage(c)
    first = (
        c.JupyterHub.spawner_class,
        c.UsageRecorder.api_token,
        c.JupyterHub.tornado_settings["log_function"],
        len(c.JupyterHub.services),
        c.JupyterHub.services[-1]["url"],
    )
    configure_usage(c)
    assert (
        c.JupyterHub.spawner_class,
        c.UsageRecorder.api_token,
        c.JupyterHub.tornado_settings["log_function"],
        len(c.JupyterHub.services),
        c.JupyterHub.services[-1]["url"],
    ) == first
