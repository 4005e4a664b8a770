"""The servers panel's pure core: rows, queries, scopes, bulk plans and progress."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hubextras.services.servers_panel.rows import (
    MAX_PAGE_SIZE,
    STATUSES,
    BulkJob,
    PanelRequestError,
    RowQuery,
    ServerRow,
    may_act,
    plan_bulk,
    refusal_message,
    rows_from_user,
    select_rows,
    server_status,
)

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
rows_strategy = st.lists(
    st.builds(
        ServerRow,
        user=names,
        server=st.sampled_from(["", "gpu", "big"]),
        status=st.sampled_from(STATUSES),
        groups=st.lists(st.sampled_from(["org:a", "org:b", "org:c"]), unique=True).map(tuple),
        last_activity=st.one_of(st.none(), st.sampled_from(["2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"])),
    ),
    max_size=40,
)


@pytest.mark.parametrize(
    "model, status",
    [
        ({"pending": "spawn", "ready": False, "stopped": False}, "starting"),
        ({"pending": "stop", "ready": True, "stopped": False}, "stopping"),
        ({"pending": None, "ready": True, "stopped": False}, "running"),
        ({"pending": None, "ready": False, "stopped": True}, "stopped"),
    ],
)
def test_status_follows_the_hubs_pending_and_ready_fields(model, status):
    assert server_status(model) == status


def test_a_user_without_servers_still_has_a_stopped_default_server_row():
    rows = rows_from_user({"name": "eve", "servers": {}, "groups": ["org:b", "org:a"]})
    assert [(r.key, r.status, r.groups) for r in rows] == [("eve/", "stopped", ("org:a", "org:b"))]


def test_profile_choices_and_image_come_from_user_options_with_custom_values_shown():
    options = {"profile": "small", "image": "unlisted-choice", "image--unlisted-choice": "repo/img:1",
               "interface": "lab"}
    row = rows_from_user({"name": "u", "servers": {"": {"ready": True, "stopped": False, "user_options": options}}})[0]
    assert (row.profile, row.image, row.choices) == ("small", "repo/img:1", {"image": "repo/img:1", "interface": "lab"})


@given(rows_strategy, st.sampled_from(("",) + STATUSES), st.sampled_from(["", "org:a"]), st.text(max_size=3))
def test_every_selected_row_matches_and_the_total_counts_all_matches(rows, status, group, search):
    query = RowQuery(search=search, status=status, group=group, limit=7)
    page, total = select_rows(rows, query)
    matching = [r for r in rows if query.matches(r)]
    assert total == len(matching)
    assert all(query.matches(r) for r in page)
    assert len(page) == min(7, total)


@given(rows_strategy, st.integers(1, 9))
def test_walking_the_pages_visits_each_matching_row_once(rows, limit):
    seen, offset = [], 0
    while True:
        page, total = select_rows(rows, RowQuery(offset=offset, limit=limit))
        seen += page
        offset += limit
        if offset >= total:
            break
    assert sorted(map(id, seen)) == sorted(map(id, rows))


@given(rows_strategy)
def test_sorting_by_user_descending_reverses_ascending(rows):
    up, _ = select_rows(rows, RowQuery(sort="user", limit=MAX_PAGE_SIZE))
    down, _ = select_rows(rows, RowQuery(sort="-user", limit=MAX_PAGE_SIZE))
    assert [r.key for r in down] == [r.key for r in reversed(up)]


@pytest.mark.parametrize(
    "args, message",
    [
        ({"status": "sleeping"}, "Unknown status 'sleeping'"),
        ({"sort": "shoe_size"}, "Cannot sort by 'shoe_size'"),
        ({"limit": "lots"}, "whole numbers"),
        ({"limit": "100000"}, "limit between 1 and"),
        ({"offset": "-5"}, "offset must be 0 or more"),
        ({"search": "x" * 101}, "too long"),
    ],
)
def test_bad_query_arguments_are_refused_with_what_to_use_instead(args, message):
    with pytest.raises(PanelRequestError, match=message):
        RowQuery.parse(args)


def test_the_hub_pages_plain_listings_and_the_panel_pages_filtered_ones():
    assert RowQuery.parse({"search": "ali", "sort": "-last_activity"}).hub_can_page
    assert not RowQuery.parse({"status": "running"}).hub_can_page
    assert not RowQuery.parse({"group": "org:a"}).hub_can_page
    assert RowQuery.parse({"status": "stopped"}).hub_params()["state"] == "inactive"


@pytest.mark.parametrize(
    "scopes, allowed",
    [
        (["servers"], {"alice/", "sam/"}),
        (["admin:servers"], {"alice/", "sam/"}),
        (["servers!group=org:students"], {"sam/"}),
        (["servers!user=alice"], {"alice/"}),
        (["delete:servers!server=alice/"], {"alice/"}),
        (["read:servers", "list:users"], set()),
    ],
)
def test_stop_is_allowed_exactly_where_the_champions_scopes_reach(scopes, allowed):
    alice = ServerRow("alice", "", "running", groups=("org:users",))
    sam = ServerRow("sam", "", "running", groups=("org:students",))
    assert {r.key for r in (alice, sam) if may_act(scopes, r, "stop")} == allowed


def test_restart_needs_both_stop_and_start():
    row = ServerRow("sam", "", "running")
    assert not may_act(["delete:servers"], row, "restart")
    assert may_act(["delete:servers", "start:servers"], row, "restart")


def test_a_bulk_plan_touches_each_server_once_and_skips_where_the_action_does_not_apply():
    rows = [ServerRow("a", "", "running"), ServerRow("a", "", "running"), ServerRow("b", "", "stopped"),
            ServerRow("c", "gpu", "starting")]
    plan = plan_bulk("stop", rows)
    assert [r.key for r in plan.targets] == ["a/", "c/gpu"]
    assert [(r.key, why) for r, why in plan.skipped] == [("b/", "Already stopped or stopping.")]


def test_an_unknown_bulk_action_is_refused():
    with pytest.raises(PanelRequestError, match="Unknown action 'reboot'"):
        plan_bulk("reboot", [])


def test_job_progress_finishes_when_every_row_has_a_final_state_and_keeps_final_answers():
    job = BulkJob.from_plan("j1", plan_bulk("stop", [ServerRow("a", "", "running"), ServerRow("b", "", "running")]),
                            "champ", now=1.0)
    job.mark("a/", "done", "Stopped.", now=2.0)
    assert job.finished is None
    job.mark("b/", "failed", "refused", now=3.0)
    job.mark("b/", "working", "late echo", now=4.0)
    assert (job.finished, job.rows["b/"].state, job.counts()["done"]) == (3.0, "failed", 1)


def test_interrupting_a_job_fails_only_its_unfinished_rows_and_it_survives_json():
    plan = plan_bulk("restart", [ServerRow(n, "", "running") for n in "abc"])
    job = BulkJob.from_plan("j2", plan, "champ", now=1.0)
    job.mark("a/", "done", "Restarted.", now=2.0)
    job.mark("b/", "working", now=2.0)
    assert job.interrupt("hub restarted", now=3.0) == 2
    again = BulkJob.from_json(job.to_json())
    assert [(r.key, r.state) for r in again.rows.values()] == [("a/", "done"), ("b/", "failed"), ("c/", "failed")]
    assert again.finished == 3.0


def test_the_hubs_hidden_refusal_404_reads_as_a_refusal():
    text = refusal_message(404, "stop", "alice/", "No access to resources or resources not found")
    assert text.startswith("The hub refused: you may not stop alice's server")
    assert "does not know" in refusal_message(404, "stop", "alice/gpu", "Not Found")
