"""What a server's cgroup holds (pure): limits and guarantees for v1 and v2, and the kernel's OOM count."""

from hubextras.spawners.cgroups import Limits, cgroup_name, oom_kills, settings_v1, settings_v2

MIB = 1024**2


def test_v1_limits_memory_with_swap_and_cpu_with_a_cfs_quota():
    settings = settings_v1(Limits(mem_limit=200 * MIB, cpu_limit=1.5))
    assert settings == {
        "memory": {"memory.limit_in_bytes": str(200 * MIB), "memory.memsw.limit_in_bytes": str(200 * MIB)},
        "cpu": {"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "150000"},
    }


def test_v1_guarantees_become_soft_limits_and_shares():
    settings = settings_v1(Limits(mem_guarantee=MIB, cpu_guarantee=0.5))
    assert settings["memory"] == {"memory.soft_limit_in_bytes": str(MIB)} and settings["cpu"] == {"cpu.shares": "512"}


def test_v2_limits_and_weights():
    assert settings_v2(Limits(mem_limit=MIB, cpu_limit=2, mem_guarantee=MIB // 2, cpu_guarantee=0.5)) == {
        "memory.max": str(MIB), "memory.swap.max": "0", "memory.low": str(MIB // 2),
        "cpu.max": "200000 100000", "cpu.weight": "50",
    }


def test_no_sizes_write_nothing():
    assert settings_v2(Limits()) == {} and settings_v1(Limits()) == {"memory": {}, "cpu": {}}


def test_a_tiny_cpu_limit_keeps_the_kernels_minimum_quota():
    assert settings_v1(Limits(cpu_limit=0.001))["cpu"]["cpu.cfs_quota_us"] == "1000"


def test_oom_kills_are_read_from_v1_oom_control_and_v2_memory_events():
    assert oom_kills("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n") == 2
    assert oom_kills("low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\noom_group_kill 0\n") == 1
    assert oom_kills("oom_kill_disable 0\nunder_oom 0\n") == 0


def test_cgroup_names_escape_usernames_so_no_two_servers_share_one():
    assert cgroup_name("alice") == "alice"
    assert cgroup_name("a/b") != cgroup_name("a_b") and "/" not in cgroup_name("a/../b")
    assert cgroup_name("alice", "gpu") == "alice-gpu"


def test_all_servers_together_weigh_as_much_as_one_process_per_server_and_at_least_per_cpu():
    from hubextras.spawners.cgroups import parent_weight

    assert parent_weight(1, servers=1, cpus=2) == "2048" and parent_weight(1, servers=5, cpus=2) == "5120"
    assert parent_weight(2, servers=5, cpus=2) == "500" and parent_weight(2, servers=500, cpus=2) == "10000"
