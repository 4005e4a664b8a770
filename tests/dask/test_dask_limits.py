"""Per-cluster limits, pure: defaults, the most generous of a person's groups, requests checked against them."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from hubextras.dask_gateway.backend import refusal_message
from hubextras.dask_gateway.limits import ClusterLimits, LimitError, check_request, limits_for, server_environment

GIB = 1024**3
DEFAULTS = ClusterLimits(cluster_max_cores=4, cluster_max_memory=8 * GIB, cluster_max_workers=2, idle_timeout=1800,
                         worker_cores=1, worker_memory=2 * GIB)
GROUPS = {"org:researchers": {"cluster_max_workers": 8, "worker_cores": 2},
          "org:gpu": {"cluster_max_workers": 4, "cluster_max_cores": 16},
          "org:long": {"idle_timeout": 0}}


def test_a_person_in_no_listed_group_gets_the_defaults():
    assert limits_for(DEFAULTS, GROUPS, ["org:students"]) == DEFAULTS


def test_several_groups_give_the_largest_of_each_limit():
    limits = limits_for(DEFAULTS, GROUPS, ["org:researchers", "org:gpu"])
    assert (limits.cluster_max_workers, limits.cluster_max_cores, limits.worker_cores) == (8, 16, 2)


def test_no_idle_timeout_is_the_most_generous():
    assert limits_for(DEFAULTS, GROUPS, ["org:long", "org:researchers"]).idle_timeout == 0


def test_a_group_never_lowers_a_default():
    assert limits_for(DEFAULTS, {"org:small": {"cluster_max_workers": 1}}, ["org:small"]) == DEFAULTS


def test_an_unknown_limit_is_refused():
    with pytest.raises(ValueError, match="not a Dask cluster limit"):
        limits_for(DEFAULTS, {"org:x": {"max_gpus": 1}}, ["org:x"])


@given(st.integers(1, 64))
@example(1)
@example(2)
def test_workers_up_to_the_limit_are_allowed_and_one_core_more_is_refused(cores):
    if cores <= DEFAULTS.worker_cores:
        check_request(DEFAULTS, cores, GIB)
    else:
        with pytest.raises(LimitError, match=f"Workers of {cores} cores are larger than this hub allows you"):
            check_request(DEFAULTS, cores, GIB)


def test_memory_exactly_at_the_limit_fits_and_one_byte_more_does_not():
    check_request(DEFAULTS, 1, 2 * GIB)
    with pytest.raises(LimitError, match=r"\(2 GB at most\)"):
        check_request(DEFAULTS, 1, 2 * GIB + 1)


def test_servers_get_what_gateway_needs_with_no_arguments():
    assert server_environment("http://127.0.0.1:9/services/dask-gateway", "gateway://127.0.0.1:8", "/services/dg/") == {
        "DASK_GATEWAY__ADDRESS": "http://127.0.0.1:9/services/dask-gateway",
        "DASK_GATEWAY__PROXY_ADDRESS": "gateway://127.0.0.1:8",
        "DASK_GATEWAY__PUBLIC_ADDRESS": "/services/dg/",
        "DASK_GATEWAY__AUTH__TYPE": "jupyterhub",
    }


def test_the_refusal_names_the_groups_and_whom_to_ask():
    assert refusal_message(["org:dask"], "the champions") == (
        "You may not start Dask clusters on this hub: Dask Gateway is for members of org:dask. Ask the champions "
        "to add you.")


def test_the_refusal_is_a_valid_http_reason_whatever_the_names():
    assert refusal_message(["org:équipe"], "Zoë\n").isascii()
