"""The guard's rules (pure): what stops a process, what never does, and the CPU report."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hubextras.guard.rules import CPUSample, ProcessFacts, Rules, judge, sustained_cpu

RULES = Rules(stratum_ports=(3333,), allow=(r"course-tool",))


def process(*cmdline, binary="python3", ports=()):
    return ProcessFacts(pid=42, binary=binary, cmdline=tuple(cmdline), remote_ports=tuple(ports))


def test_a_pool_protocol_in_the_command_line_stops_it():
    match = judge(process("python3", "miner.py", "-o", "STRATUM+TCP://pool.example.org:3333"), RULES)
    assert (match.kind, match.rule) == ("pool-protocol", "stratum+tcp://")
    assert "mining pool protocol" in match.describe()


def test_a_banned_string_in_the_command_line_stops_it():
    match = judge(process("./run", "--donate-level", "1"), RULES)
    assert (match.kind, match.rule) == ("banned-string", "--donate-level")


@pytest.mark.parametrize("how", ["binary", "first-argument"])
def test_a_known_miner_binary_stops_it_under_any_command_line(how):
    facts = process("/tmp/.x/XMRig", "-c", "cfg.json") if how == "first-argument" else \
        process("innocent", binary="xmrig")
    assert judge(facts, RULES).kind == "miner-binary"


def test_a_connection_to_a_stratum_port_stops_it():
    match = judge(process("python3", "-c", "work()", ports=(443, 3333)), RULES)
    assert (match.kind, match.rule) == ("stratum-port", "3333")


def test_the_allow_list_admits_a_command_that_would_match():
    assert judge(process("course-tool", "--example", "stratum+tcp://docs", ports=(3333,)), RULES) is None


def test_ordinary_work_is_not_stopped():
    for facts in (process("python3", "-m", "ipykernel_launcher", "-f", "kernel.json", ports=(443,)),
                  process("jupyter-lab", binary="python3.11"), process(binary="bash")):
        assert judge(facts, RULES) is None


def test_no_stratum_port_is_judged_unless_the_operator_names_one():
    assert judge(process("python3", ports=(3333,)), Rules()) is None


@given(st.floats(0, 1.0))
@example(0.9)
@example(0.8999)
def test_cpu_is_reported_only_at_its_fraction_over_the_whole_window(share):
    samples = [CPUSample(t, t * share) for t in range(0, 61, 10)]
    assert sustained_cpu(samples, fraction=0.9, seconds=60) == (share >= 0.9)


def test_cpu_is_not_reported_before_the_window_has_passed():
    samples = [CPUSample(t, float(t)) for t in range(0, 50, 10)]
    assert not sustained_cpu(samples, fraction=0.5, seconds=60)

