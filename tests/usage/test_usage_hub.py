"""Usage through a real hub with real (tiny fake) servers; times come from the record's clock file."""

import subprocess
import sys
import time

from usage_fixtures import CULLER_TOKEN, DAY, HOUR, MONDAY, wait_until

from hubextras.usage.aggregate import by_profile, total, totals_by


def week(n: int) -> float:
    """The Monday of test week `n`: each test has its own weeks, far outside the others' windows."""
    return MONDAY + n * 30 * DAY


def test_usage_adds_up_exactly_for_a_scripted_week(usage_hub):
    monday = week(1)
    script = [
        ("small", 0 * DAY + 9 * HOUR, 3 * HOUR),
        ("medium", 1 * DAY + 10 * HOUR, 1 * HOUR),
        ("large", 3 * DAY + 14 * HOUR, 4 * HOUR),
    ]
    for profile, start, length in script:
        usage_hub.at(monday + start)
        usage_hub.started("free", profile)
        usage_hub.at(monday + start + length)
        usage_hub.stopped("free")
    usage_hub.at(monday + 5 * DAY)
    usage_hub.started("free", "small")  # still running on Saturday noon: counts up to now
    usage_hub.at(monday + 5 * DAY + 2 * HOUR)
    records = usage_hub.store().between(monday, monday + 7 * DAY)
    now = monday + 5 * DAY + 2 * HOUR
    totals = total(records, monday, monday + 7 * DAY, now)
    assert (totals.servers, totals.server_hours) == (4, 10)
    assert totals.memory_gib_hours == 3 * 1 + 1 * 2 + 4 * 4 + 2 * 1
    assert totals.cpu_hours == 3 * 1 + 1 * 1 + 4 * 2 + 2 * 1
    assert totals_by(records, monday, monday + 7 * DAY, now, by_profile)["large"].memory_gib_hours == 16
    usage_hub.stopped("free")


def test_a_person_over_their_groups_quota_is_refused_with_the_message_and_others_are_not(usage_hub):
    monday = week(2)
    usage_hub.at(monday)
    usage_hub.started("ada", "medium")
    usage_hub.at(monday + 5 * HOUR)  # 2 GiB for 5 hours: all 10 GiB-hours of the students' week
    usage_hub.stopped("ada")
    r = usage_hub.start("ada", "small")
    assert r.status_code == 403
    message = r.json()["message"]
    assert "you have used 10.0 of 10 GiB-hours of memory in the last 7 days" in message
    # small needs 1 GiB-hour: the first half hour of the medium server (2 GiB) must leave the 7-day window
    assert "you can start it again from 2027-01-08 00:30 UTC" in message
    usage_hub.started("bea", "small")
    usage_hub.stopped("bea")


def test_a_refusal_does_not_count_as_a_failed_spawn(usage_hub):
    usage_hub.at(week(2) + 6 * HOUR)
    for _ in range(3):  # consecutive_failure_limit is 2: counted failures would stop the hub
        assert usage_hub.start("ada", "small").status_code == 403
    time.sleep(3)
    assert usage_hub.hub.proc.poll() is None
    assert usage_hub.hub.api("GET", "/").status_code == 200


def test_a_profile_outside_the_groups_policy_is_refused(usage_hub):
    usage_hub.at(week(3))
    r = usage_hub.start("cy", "large")
    assert r.status_code == 403
    assert "members of demo-org:students may start only these profiles: broken, medium, small" in r.json()["message"]


def test_a_bump_lets_one_person_start(usage_hub):
    monday = week(4)
    for person in ("ada", "cy"):
        usage_hub.at(monday)
        usage_hub.started(person, "medium")
        usage_hub.at(monday + 5 * HOUR)
        usage_hub.stopped(person)
    store_path = usage_hub.hub.workdir / "hubextras-usage.sqlite"
    granted = subprocess.run(
        [
            sys.executable,
            "-m",
            "hubextras.usage",
            "bump",
            "--store",
            str(store_path),
            "--user",
            "ada",
            "--amount",
            "5",
            "--days",
            "2",
            "--by",
            "operator",
            "--reason",
            "deadline",
        ],
        env={"HUBEXTRAS_USAGE_CLOCK": usage_hub.clock_path, "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
    )
    assert granted.returncode == 0, granted.stderr
    usage_hub.started("ada", "small")
    assert usage_hub.start("cy", "small").status_code == 403
    usage_hub.stopped("ada")


def test_a_shared_group_quota_counts_every_member(usage_hub):
    monday = week(5)
    usage_hub.at(monday)
    usage_hub.started("dev", "small")
    usage_hub.at(monday + 2 * HOUR)  # the course shares 3 server-hours a week: 2 used, 1 left fits one more hour
    usage_hub.stopped("dev")
    usage_hub.started("eli", "small")
    usage_hub.at(monday + 3 * HOUR)
    usage_hub.stopped("eli")
    r = usage_hub.start("dev", "small")
    assert r.status_code == 403 and "your group demo-org:course has used 3.0 of 3 server-hours" in r.json()["message"]


def test_the_idle_cullers_stop_is_recorded_as_culled(usage_hub):
    usage_hub.at(week(6))
    usage_hub.started("free", "small")
    usage_hub.at(week(6) + HOUR)
    usage_hub.stopped("free", token=CULLER_TOKEN)
    wait_until(lambda: usage_hub.store().last_record("free", "").ended == "culled", what="the culled stop")


def test_a_stop_by_someone_else_is_recorded_as_stopped(usage_hub):
    usage_hub.at(week(7))
    usage_hub.started("free", "small")
    usage_hub.stopped("free")
    time.sleep(0.5)
    assert usage_hub.store().last_record("free", "").ended == "stopped"


def test_a_start_that_fails_is_recorded_as_failed(usage_hub):
    usage_hub.at(week(8))
    r = usage_hub.start("free", "broken")
    assert r.status_code in (201, 202, 500)
    wait_until(
        lambda: (
            (usage_hub.store().last_record("free", "") or None)
            and usage_hub.store().last_record("free", "").profile == "broken"
            and usage_hub.store().last_record("free", "").ended
        ),
        what="the failed start's record",
    )
    assert usage_hub.store().last_record("free", "").ended == "failed"


def test_a_running_server_over_quota_is_warned_on_the_home_page_then_stopped_after_the_grace(usage_hub):
    monday = week(9)
    usage_hub.at(monday)
    session = usage_hub.hub.login("sam")  # sam signs in: the hub puts him in demo-org:students
    usage_hub.started("sam", "medium")
    assert "usage-over-quota" not in session.get(usage_hub.hub.url + "/hub/home", timeout=30).text
    usage_hub.at(monday + 5 * HOUR)  # 10 of 10 GiB-hours used while running
    page = wait_until(
        lambda: (t := session.get(usage_hub.hub.url + "/hub/home", timeout=30).text) and "usage-over-quota" in t and t,
        what="the over-quota warning",
    )
    assert "10.0 of 10 GiB-hours of memory in the last 7 days" in page
    assert "will be stopped at" in page
    usage_hub.at(monday + 5 * HOUR + 600)  # the grace is 600 s
    wait_until(lambda: "" not in usage_hub.hub.api("GET", "/users/sam").json()["servers"], what="the stop")
    wait_until(lambda: usage_hub.store().last_record("sam", "").ended == "over_quota", what="the over-quota record")


def test_the_spawn_page_shows_the_refusal(usage_hub):
    usage_hub.at(week(9) + 6 * HOUR)  # sam used up his week in the test above
    session = usage_hub.hub.login("sam")
    form = session.get(usage_hub.hub.url + "/hub/spawn", timeout=30)
    assert form.status_code == 200
    r = session.post(
        usage_hub.hub.url + "/hub/spawn", data={"profile": "small", "_xsrf": session.cookies["_xsrf"]}, timeout=60
    )
    assert r.status_code == 403
    assert "You cannot start this server now" in r.text and "you have used" in r.text


def test_records_survive_a_hub_restart(usage_hub):
    usage_hub.at(week(10))
    usage_hub.started("free", "small")
    usage_hub.hub.restart()
    usage_hub.at(week(10) + HOUR)
    usage_hub.stopped("free")
    record = usage_hub.store().last_record("free", "")
    assert (record.started, record.stopped, record.ended) == (week(10), week(10) + HOUR, "stopped")
