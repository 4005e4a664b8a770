"""The profile engine: KubeSpawner's schema read unchanged, filtered by team, user_options validated strictly."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hubextras.profiles.engine import (
    MAX_VALUE_LENGTH,
    NoProfileAllowedError,
    ProfileChoiceError,
    StartForSomeoneElseError,
    allowed_profiles_for,
    fill_value,
    last_valid_selection,
    normalize_profile_list,
    select,
    selection_for_someone_else,
)
from hubextras.profiles.examples import example_profile_list

HUB_USERS = ["demo-org:hub-users"]
RESEARCHERS = ["demo-org:hub-users", "demo-org:researchers"]


@pytest.fixture
def profiles():
    return normalize_profile_list(example_profile_list())


def choose(profiles, groups, options):
    return select(profiles, allowed_profiles_for(profiles, groups), options)


def refusal(profiles, groups, options) -> str:
    with pytest.raises(ProfileChoiceError) as info:
        choose(profiles, groups, options)
    return str(info.value)


# -- reading the schema -----------------------------------------------------------------


def test_missing_slugs_come_from_display_names_as_in_kubespawner():
    profiles = normalize_profile_list([{"display_name": "Big Machine!"}, {"display_name": "Tiny"}])
    assert [p["slug"] for p in profiles] == ["big-machine", "tiny"]


def test_first_profile_is_default_when_none_is():
    profiles = normalize_profile_list([{"display_name": "A"}, {"display_name": "B"}])
    assert [bool(p.get("default")) for p in profiles] == [True, False]


def test_dict_profile_list_is_ordered_by_key_as_in_kubespawner():
    profiles = normalize_profile_list({"b": {"display_name": "Second"}, "a": {"display_name": "First"}})
    assert [p["display_name"] for p in profiles] == ["First", "Second"]


def test_first_choice_is_default_when_none_is():
    profiles = normalize_profile_list(
        [{"display_name": "A", "profile_options": {"img": {"display_name": "I", "choices": {"x": {}, "y": {}}}}}]
    )
    assert profiles[0]["profile_options"]["img"]["choices"]["x"]["default"] is True


def test_normalizing_does_not_touch_the_configured_list():
    configured = example_profile_list()
    normalize_profile_list(configured)
    assert configured == example_profile_list()


# -- filtering per user -------------------------------------------------------------------


def test_researchers_see_the_large_machine(profiles):
    slugs = [p["slug"] for p in allowed_profiles_for(profiles, RESEARCHERS)]
    assert slugs == ["shared-small", "small", "medium", "large"]


def test_other_members_do_not_see_the_large_machine(profiles):
    slugs = [p["slug"] for p in allowed_profiles_for(profiles, HUB_USERS)]
    assert slugs == ["shared-small", "small", "medium"]


def test_allowed_groups_compare_case_insensitively(profiles):
    slugs = [p["slug"] for p in allowed_profiles_for(profiles, ["Demo-Org:Researchers"])]
    assert "large" in slugs


def test_empty_allowed_groups_admit_no_one():
    profiles = normalize_profile_list([{"display_name": "Open"}, {"display_name": "Closed", "allowed_groups": []}])
    assert [p["slug"] for p in allowed_profiles_for(profiles, ["anything"])] == ["open"]


def test_hidden_choice_is_removed_and_default_moves_to_a_visible_one():
    profiles = normalize_profile_list(
        [
            {
                "display_name": "P",
                "profile_options": {
                    "gpu": {
                        "display_name": "GPU",
                        "choices": {
                            "one": {"default": True, "allowed_groups": ["org:gpu"]},
                            "none": {},
                        },
                    }
                },
            }
        ]
    )
    choices = allowed_profiles_for(profiles, ["org:students"])[0]["profile_options"]["gpu"]["choices"]
    assert list(choices) == ["none"] and choices["none"]["default"] is True


def test_profile_whose_option_has_nothing_left_is_hidden():
    profiles = normalize_profile_list(
        [{"display_name": "P", "profile_options": {"o": {"choices": {"x": {"allowed_groups": ["org:a"]}}}}}]
    )
    assert allowed_profiles_for(profiles, ["org:b"]) == []


def test_hidden_default_profile_moves_default_to_first_visible():
    profiles = normalize_profile_list(
        [{"display_name": "A", "default": True, "allowed_groups": ["org:a"]}, {"display_name": "B"}]
    )
    assert allowed_profiles_for(profiles, [])[0]["default"] is True


# -- selecting: the good cases ----------------------------------------------------------------


def test_empty_options_select_the_defaults(profiles):
    selection = choose(profiles, HUB_USERS, {})
    assert (selection.slug, selection.choices) == ("shared-small", {"image": "datascience", "interface": "lab"})


def test_overrides_come_in_kubespawner_order_profile_then_options(profiles):
    selection = choose(profiles, HUB_USERS, {"profile": "medium", "image": "geospatial", "interface": "rstudio"})
    overrides = selection.overrides()
    assert overrides[0]["cpu_limit"] == 16
    assert overrides[1] == {"image": "rocker/binder:4.4"}
    assert overrides[2] == {"default_url": "/rstudio"}


def test_custom_image_fills_value_in_its_override(profiles):
    options = {"profile": "small", "image": "unlisted-choice", "image--unlisted-choice": "quay.io/me/img:1.0"}
    assert choose(profiles, HUB_USERS, options).overrides()[1] == {"image": "quay.io/me/img:1.0"}


def test_custom_value_sent_with_a_listed_choice_is_refused_naming_both(profiles):
    options = {"profile": "small", "image": "handbook", "image--unlisted-choice": "quay.io/me/img:1.0"}
    message = refusal(profiles, HUB_USERS, options)
    assert "chooses 'Handbook" in message and "'quay.io/me/img:1.0'" in message
    assert "Send one or the other" in message


def test_custom_value_without_a_choice_is_the_unlisted_choice_as_in_kubespawners_api(profiles):
    options = {"profile": "small", "image--unlisted-choice": "quay.io/me/img:1.0"}
    assert choose(profiles, HUB_USERS, options).unlisted == {"image": "quay.io/me/img:1.0"}


def test_empty_custom_value_beside_a_listed_choice_is_ignored(profiles):
    options = {"profile": "small", "image": "handbook", "image--unlisted-choice": ""}
    selection = choose(profiles, HUB_USERS, options)
    assert selection.choices["image"] == "handbook" and selection.unlisted == {}


def test_fill_value_leaves_other_braces_alone():
    assert fill_value({"a": "{value}-{other}", "b": ["x{value}"]}, "v") == {"a": "v-{other}", "b": ["xv"]}


def test_selection_round_trips_through_its_user_options(profiles):
    selection = choose(profiles, HUB_USERS, {"profile": "small", "interface": "notebook"})
    assert choose(profiles, HUB_USERS, selection.user_options()).user_options() == selection.user_options()


# -- selecting: every refusal named in the issue -------------------------------------------


def test_unknown_profile_is_refused_listing_the_choices(profiles):
    message = refusal(profiles, HUB_USERS, {"profile": "huge"})
    assert "no profile 'huge'" in message and "'small'" in message


def test_profile_hidden_from_this_user_is_refused_naming_the_team(profiles):
    message = refusal(profiles, HUB_USERS, {"profile": "large"})
    assert "demo-org:researchers" in message and "Ask a hub champion" not in message
    assert "ask a hub champion" in message


def test_unknown_choice_key_is_refused(profiles):
    message = refusal(profiles, HUB_USERS, {"profile": "small", "image": "windows-xp"})
    assert "'windows-xp' is not a choice for 'Image'" in message


def test_unknown_option_name_is_refused(profiles):
    message = refusal(profiles, HUB_USERS, {"profile": "small", "gpus": "8"})
    assert "has no option 'gpus'" in message


def test_choice_hidden_by_team_is_refused_naming_the_team():
    profiles = normalize_profile_list(
        [{"display_name": "P", "profile_options": {"gpu": {"display_name": "GPU", "choices": {
            "none": {}, "a100": {"display_name": "A100", "allowed_groups": ["org:gpu-users"]}}}}}]
    )
    message = refusal(profiles, ["org:students"], {"gpu": "a100"})
    assert "'A100' for 'GPU' is only for members" in message and "org:gpu-users" in message


def test_unlisted_value_is_refused_when_unlisted_is_disabled(profiles):
    message = refusal(profiles, HUB_USERS, {"profile": "small", "interface--unlisted-choice": "/custom"})
    assert "entering your own value is not enabled" in message


def test_unlisted_value_is_refused_when_unlisted_is_hidden_by_team():
    profiles = normalize_profile_list(
        [{"display_name": "P", "profile_options": {"image": {"display_name": "Image", "choices": {"a": {}},
          "unlisted_choice": {"enabled": True, "allowed_groups": ["org:builders"],
                              "kubespawner_override": {"image": "{value}"}}}}}]
    )
    message = refusal(profiles, ["org:students"], {"image--unlisted-choice": "quay.io/x/y:1"})
    assert "only for members" in message and "org:builders" in message


def test_regex_must_match_in_full_not_as_a_prefix():
    profiles = normalize_profile_list(
        [{"display_name": "P", "profile_options": {"image": {"display_name": "Image", "choices": {},
          "unlisted_choice": {"enabled": True, "validation_regex": "pangeo/.*:[0-9]+",
                              "validation_message": "Must be a pangeo image with a numeric tag.",
                              "kubespawner_override": {"image": "{value}"}}}}}]
    )
    assert choose(profiles, [], {"image--unlisted-choice": "pangeo/notebook:2024"}).unlisted
    message = refusal(profiles, [], {"image--unlisted-choice": "pangeo/notebook:2024-evil"})
    assert "Must be a pangeo image with a numeric tag." in message


def test_regex_with_dollar_lets_no_newline_through():
    profiles = normalize_profile_list(
        [{"display_name": "P", "profile_options": {"tag": {"display_name": "Tag", "choices": {},
          "unlisted_choice": {"enabled": True, "validation_regex": "^[a-z]+$",
                              "kubespawner_override": {"environment": {"TAG": "{value}"}}}}}}]
    )
    assert "not accepted" in refusal(profiles, [], {"tag--unlisted-choice": "abc\nevil"})
    assert select(profiles, profiles, {"tag--unlisted-choice": "abc\n"}).unlisted == {"tag": "abc"}


@pytest.mark.parametrize(
    "options, expected",
    [
        ({"profile": 7}, "'profile' must be a text value"),
        ({"profile": ["small"]}, "'profile' must be a text value"),
        ({"profile": "small", "image": {"x": 1}}, "'image' must be a text value"),
        ({"profile": "small", "image--unlisted-choice": None, "image": True}, "'image' must be a text value"),
        ({7: "x"}, "is not one this hub knows"),
    ],
)
def test_wrong_json_types_are_refused(profiles, options, expected):
    assert expected in refusal(profiles, HUB_USERS, options)


def test_options_that_are_not_an_object_are_refused(profiles):
    assert "must be a JSON object" in refusal(profiles, HUB_USERS, ["small"])


def test_oversized_strings_are_refused(profiles):
    huge = "quay.io/a/" + "b" * MAX_VALUE_LENGTH + ":1"
    message = refusal(profiles, HUB_USERS, {"profile": "small", "image--unlisted-choice": huge})
    assert f"at most {MAX_VALUE_LENGTH} are accepted" in message


def test_oversized_profile_name_is_refused_without_echoing_it_whole(profiles):
    message = refusal(profiles, HUB_USERS, {"profile": "x" * 10_000})
    assert "at most 256" in message and len(message) < 300


def test_malformed_custom_image_is_refused_saying_what_form_is_expected(profiles):
    message = refusal(profiles, HUB_USERS, {"profile": "small", "image--unlisted-choice": "Not An Image:1"})
    assert "not accepted" in message or "registry/name:tag" in message


def test_custom_image_without_tag_is_refused_by_its_reference_check():
    profiles = normalize_profile_list(
        [{"display_name": "P", "profile_options": {"image": {"display_name": "Image", "choices": {},
          "unlisted_choice": {"enabled": True, "kubespawner_override": {"image": "{value}"}}}}}]
    )
    message = refusal(profiles, [], {"image--unlisted-choice": "quay.io/jupyter/base-notebook"})
    assert "no tag or digest" in message and "registry/name:tag" in message


def test_custom_image_from_a_registry_not_allowed_is_refused():
    profiles = normalize_profile_list(
        [{"display_name": "P", "profile_options": {"image": {"display_name": "Image", "choices": {},
          "unlisted_choice": {"enabled": True, "kubespawner_override": {"image": "{value}"}}}}}]
    )
    with pytest.raises(ProfileChoiceError, match="Images from 'docker.io' are not allowed.*quay.io"):
        select(profiles, profiles, {"image--unlisted-choice": "jupyter/base:1"}, allowed_image_registries=["quay.io"])
    assert select(profiles, profiles, {"image--unlisted-choice": "quay.io/j/b:1"}, allowed_image_registries=["quay.io"])


def test_empty_custom_value_asks_for_one(profiles):
    message = refusal(profiles, HUB_USERS, {"profile": "small", "image": "unlisted-choice"})
    assert "Enter a value for 'Image'" in message


def test_user_allowed_no_profile_gets_a_403_error_saying_whom_to_ask(profiles):
    with pytest.raises(NoProfileAllowedError) as info:
        select(profiles, [], {}, contact="the hub team at help@example.org")
    assert info.value.status_code == 403 and "help@example.org" in str(info.value)


def test_stale_saved_options_give_no_preselection(profiles):
    allowed = allowed_profiles_for(profiles, HUB_USERS)
    assert last_valid_selection(profiles, allowed, {"profile": "gone"}) is None
    assert last_valid_selection(profiles, allowed, {"profile": "small"}).slug == "small"


# -- properties -------------------------------------------------------------------------------

GROUPS = ["demo-org:hub-users", "demo-org:researchers", "demo-org:students", "other:team", "DEMO-ORG:Researchers"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
option_keys = st.sampled_from(
    ["profile", "image", "interface", "image--unlisted-choice", "interface--unlisted-choice", "gpu"]
)
option_values = st.sampled_from(
    ["", "small", "large", "medium", "shared-small", "handbook", "lab", "rstudio", "unlisted-choice",
     "quay.io/x/y:1", "bad image", "huge"]
) | json_values


@settings(max_examples=300, deadline=None)
@given(groups=st.lists(st.sampled_from(GROUPS), max_size=3), options=st.dictionaries(option_keys, option_values))
def test_any_request_is_either_a_clear_refusal_or_an_allowed_profile(groups, options):
    profiles = normalize_profile_list(example_profile_list())
    allowed = allowed_profiles_for(profiles, groups)
    try:
        selection = select(profiles, allowed, options)
    except ProfileChoiceError as e:
        assert str(e) and "Traceback" not in str(e)
        return
    assert selection.slug in {p["slug"] for p in allowed}
    if selection.slug == "large":
        assert {g.casefold() for g in groups} & {"demo-org:researchers"}
    for name, key in selection.choices.items():
        assert key in selection.profile["profile_options"][name]["choices"]


@settings(max_examples=100, deadline=None)
@given(groups=st.lists(st.sampled_from(GROUPS), max_size=3))
def test_filtering_never_grows_the_list_and_keeps_exactly_one_default(groups):
    profiles = normalize_profile_list(example_profile_list())
    allowed = allowed_profiles_for(profiles, groups)
    assert {p["slug"] for p in allowed} <= {p["slug"] for p in profiles}
    assert sum(bool(p.get("default")) for p in allowed) == 1


# -- a start by someone other than the owner ----------------------------------------------

def test_someone_else_starting_without_options_gets_the_owners_last_choices(profiles):
    owner_last = {"profile": "medium", "image": "geospatial", "interface": "lab"}
    allowed = allowed_profiles_for(profiles, HUB_USERS)
    chosen = selection_for_someone_else(profiles, allowed, {}, owner_last, owner="bob")
    assert chosen.user_options() == select(profiles, allowed, owner_last).user_options()


def test_someone_else_starting_a_server_never_used_gets_the_defaults(profiles):
    allowed = allowed_profiles_for(profiles, HUB_USERS)
    chosen = selection_for_someone_else(profiles, allowed, None, None, owner="bob")
    assert chosen.user_options() == select(profiles, allowed, {}).user_options()


def test_someone_else_sending_the_owners_own_choices_back_is_accepted(profiles):
    allowed = allowed_profiles_for(profiles, HUB_USERS)
    owner_last = select(profiles, allowed, {"profile": "medium"}).user_options()
    assert selection_for_someone_else(profiles, allowed, owner_last, owner_last, owner="bob").slug == "medium"


@pytest.mark.parametrize("requested", [
    {"profile": "small", "image": "unlisted-choice", "image--unlisted-choice": "quay.io/evil/miner:1"},
    {"profile": "medium"},
    {"profile": "no-such-profile"},
])
def test_someone_else_asking_for_other_options_is_refused_naming_the_owner(profiles, requested):
    allowed = allowed_profiles_for(profiles, HUB_USERS)
    with pytest.raises(StartForSomeoneElseError) as info:
        selection_for_someone_else(profiles, allowed, requested, {"profile": "small"}, owner="bob")
    assert info.value.status_code == 403
    assert "You are starting bob's server" in str(info.value) and "without options" in str(info.value)
