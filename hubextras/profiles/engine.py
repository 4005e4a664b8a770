"""The profile engine: read a KubeSpawner `profile_list`, filter it per user, validate `user_options`.

Pure logic, no I/O, shared by both spawners. The schema is KubeSpawner's, unchanged
(`display_name`, `slug`, `description`, `default`, `kubespawner_override`,
`profile_options` with `choices` and `unlisted_choice`), plus `allowed_groups`
on profiles, choices and `unlisted_choice`, as 2i2c's hubs use it. Group names are
compared case-insensitively everywhere.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slugify import slugify

from .images import ImageReferenceError, check_image

UNLISTED = "unlisted-choice"
UNLISTED_SUFFIX = "--unlisted-choice"
# Longest strings accepted in user_options: names are short; image references may be long.
MAX_NAME_LENGTH = 256
MAX_VALUE_LENGTH = 512
# Override keys whose `{value}` result is an image reference, checked as one.
IMAGE_KEYS = ("image", "image_spec")


class ProfileChoiceError(ValueError):
    """A person's choice of profile or option cannot be honoured; the message says why and what to do."""

    status_code = 400


class NoProfileAllowedError(ProfileChoiceError):
    """The person's teams allow them no profile at all."""

    status_code = 403


class StartForSomeoneElseError(ProfileChoiceError):
    """Someone other than the owner asked for options of their own when starting the owner's server."""

    status_code = 403


def normalize_profile_list(profile_list) -> list[dict]:
    """A deep copy of a list or dict `profile_list`, completed as KubeSpawner completes it.

    Slugs come from display names when missing; every option gets a default choice and an
    `unlisted_choice` dict; the first profile is the default when none is. A dict is
    ordered by its keys, as KubeSpawner orders it.
    """
    if isinstance(profile_list, Mapping):
        profile_list = [profile_list[key] for key in sorted(profile_list)]
    profiles = copy.deepcopy(list(profile_list or []))
    for profile in profiles:
        if not isinstance(profile, dict) or "display_name" not in profile:
            raise ValueError(f"Each profile needs a display_name; got {profile!r}.")
        profile.setdefault("slug", slugify(profile["display_name"]))
        for option in profile.get("profile_options", {}).values():
            choices = option.setdefault("choices", {})
            if choices and not any(c.get("default") for c in choices.values()):
                choices[next(iter(choices))]["default"] = True
            unlisted = option.setdefault("unlisted_choice", {})
            unlisted.setdefault("enabled", False)
            if unlisted["enabled"]:
                unlisted.setdefault("display_name_in_choices", "Other...")
    if profiles and not any(p.get("default") for p in profiles):
        profiles[0]["default"] = True
    return profiles


def folded_groups(groups: Iterable[str]) -> frozenset[str]:
    """Group names as compared: case-folded, stripped."""
    return frozenset(g.strip().casefold() for g in groups if isinstance(g, str))


def is_allowed(entry: Mapping, groups: frozenset[str]) -> bool:
    """Whether an entry (profile, choice or unlisted_choice) is open to someone in `groups` (folded).

    No `allowed_groups` key: open to everyone. An empty list: open to no one.
    """
    if "allowed_groups" not in entry or entry["allowed_groups"] is None:
        return True
    return bool(folded_groups(entry["allowed_groups"]) & groups)


def allowed_profiles_for(profiles: list[dict], groups: Iterable[str]) -> list[dict]:
    """The normalized `profiles` a member of `groups` may use, with hidden choices removed.

    A profile whose option is left with no choice and no custom value is dropped; defaults
    move to the first visible profile and choice when the configured ones are hidden.
    """
    groups = folded_groups(groups)
    visible = []
    for profile in profiles:
        if not is_allowed(profile, groups):
            continue
        profile = copy.copy(profile)
        options = {}
        usable = True
        for name, option in profile.get("profile_options", {}).items():
            option = copy.copy(option)
            choices = {k: c for k, c in option["choices"].items() if is_allowed(c, groups)}
            if choices and not any(c.get("default") for c in choices.values()):
                first = next(iter(choices))
                choices[first] = {**choices[first], "default": True}
            option["choices"] = choices
            unlisted = option["unlisted_choice"]
            if unlisted.get("enabled") and not is_allowed(unlisted, groups):
                option["unlisted_choice"] = {**unlisted, "enabled": False}
            if not choices and not option["unlisted_choice"].get("enabled"):
                usable = False
            options[name] = option
        if not usable:
            continue
        if "profile_options" in profile:
            profile["profile_options"] = options
        visible.append(profile)
    if visible and not any(p.get("default") for p in visible):
        visible[0] = {**visible[0], "default": True}
    return visible


def default_profile(profiles: list[dict]) -> dict:
    return next((p for p in profiles if p.get("default")), profiles[0])


@dataclass
class Selection:
    """A validated choice: the profile, the choice key per option, the custom value per option."""

    profile: dict
    choices: dict[str, str] = field(default_factory=dict)
    unlisted: dict[str, str] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.profile["slug"]

    def overrides(self) -> list[dict]:
        """The `kubespawner_override` dicts to apply, in KubeSpawner's order: profile, then options."""
        result = [copy.deepcopy(self.profile.get("kubespawner_override", {}))]
        for name, option in self.profile.get("profile_options", {}).items():
            if name in self.unlisted:
                override = option["unlisted_choice"].get("kubespawner_override", {})
                result.append(fill_value(copy.deepcopy(override), self.unlisted[name]))
            else:
                result.append(copy.deepcopy(option["choices"][self.choices[name]].get("kubespawner_override", {})))
        return result

    def user_options(self) -> dict:
        """The canonical `user_options` for this selection (what the form would post)."""
        options = {"profile": self.slug}
        for name in self.profile.get("profile_options", {}):
            if name in self.unlisted:
                options[name] = UNLISTED
                options[name + UNLISTED_SUFFIX] = self.unlisted[name]
            else:
                options[name] = self.choices[name]
        return options


class _KeepMissing(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def fill_value(obj: Any, value: str) -> Any:
    """Replace `{value}` in every string of `obj` (dicts, lists, sets), leaving other braces alone."""
    if isinstance(obj, str):
        try:
            return obj.format_map(_KeepMissing(value=value))
        except (ValueError, IndexError, AttributeError):
            return obj.replace("{value}", value)
    if isinstance(obj, dict):
        return {fill_value(k, value): fill_value(v, value) for k, v in obj.items()}
    if isinstance(obj, list):
        return [fill_value(v, value) for v in obj]
    if isinstance(obj, set):
        return {fill_value(v, value) for v in obj}
    return obj


def _teams_text(entry: Mapping) -> str:
    teams = [str(g) for g in entry.get("allowed_groups") or []]
    return ", ".join(f"`{t}`" for t in teams) if teams else "(none)"


def _check_string(key: str, value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise ProfileChoiceError(
            f"The option '{_clip(key)}' must be a text value (a JSON string), not {type(value).__name__}."
        )
    if len(value) > limit:
        raise ProfileChoiceError(
            f"The option '{_clip(key)}' is {len(value)} characters long; at most {limit} are accepted."
        )
    return value


def _clip(text: Any, limit: int = 60) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def select(
    all_profiles: list[dict],
    allowed: list[dict],
    user_options: Any,
    *,
    allowed_image_registries: Iterable[str] = (),
    contact: str = "a hub champion",
) -> Selection:
    """Validate `user_options` strictly against the user's `allowed` profiles, or raise ProfileChoiceError.

    `all_profiles` (the unfiltered, normalized list) lets the refusal say that a profile or
    choice exists but is reserved for some teams. Empty options select the defaults.
    """
    if not allowed:
        raise NoProfileAllowedError(
            f"None of your GitHub teams gives you a server on this hub. Ask {contact} to add you to a team that does."
        )
    if user_options is None:
        user_options = {}
    if not isinstance(user_options, Mapping):
        raise ProfileChoiceError("Server options must be a JSON object, such as {\"profile\": \"small\"}.")
    for key in user_options:
        if not isinstance(key, str) or len(key) > MAX_NAME_LENGTH:
            raise ProfileChoiceError(f"The option name '{_clip(key)}' is not one this hub knows.")

    slug = user_options.get("profile")
    if slug in (None, ""):
        profile = default_profile(allowed)
    else:
        slug = _check_string("profile", slug, MAX_NAME_LENGTH)
        profile = next((p for p in allowed if p["slug"] == slug), None)
        if profile is None:
            hidden = next((p for p in all_profiles if p["slug"] == slug), None)
            if hidden is not None:
                raise ProfileChoiceError(
                    f"The profile '{hidden['display_name']}' is only for members of the GitHub teams "
                    f"{_teams_text(hidden)}. Choose another profile, or ask {contact} to add you to one of those teams."
                )
            names = ", ".join(f"'{p['slug']}' ({p['display_name']})" for p in allowed)
            raise ProfileChoiceError(f"There is no profile '{_clip(slug)}' on this hub. Choose one of: {names}.")

    options = profile.get("profile_options", {})
    known = {"profile"} | set(options) | {name + UNLISTED_SUFFIX for name in options}
    unknown = sorted(set(user_options) - known)
    if unknown:
        expected = ", ".join(f"'{k}'" for k in ["profile", *options])
        raise ProfileChoiceError(
            f"The profile '{profile['display_name']}' has no option '{_clip(unknown[0])}'. Its options are: {expected}."
        )

    full = next((p for p in all_profiles if p["slug"] == profile["slug"]), profile)
    selection = Selection(profile)
    for name, option in options.items():
        label = option.get("display_name", name)
        choice = user_options.get(name)
        custom = user_options.get(name + UNLISTED_SUFFIX)
        if choice is not None:
            choice = _check_string(name, choice, MAX_NAME_LENGTH)
        if custom is not None:
            custom = _check_string(name + UNLISTED_SUFFIX, custom, MAX_VALUE_LENGTH)
        if custom and choice != UNLISTED and choice in full["profile_options"][name]["choices"]:
            listed = full["profile_options"][name]["choices"][choice].get("display_name", choice)
            raise ProfileChoiceError(
                f"The request chooses '{listed}' for '{label}' and also gives a value of its own "
                f"('{_clip(custom)}'). Send one or the other: a listed choice, or '{UNLISTED}' with your own value."
            )
        if choice == UNLISTED or (custom and choice in (None, "")):
            selection.unlisted[name] = _check_unlisted(
                full["profile_options"][name]["unlisted_choice"],
                option["unlisted_choice"],
                label,
                custom or "",
                allowed_image_registries,
                contact,
            )
            continue
        if choice in (None, ""):
            if not option["choices"]:
                raise ProfileChoiceError(f"Enter a value for '{label}'.")
            choice = next(k for k, c in option["choices"].items() if c.get("default"))
        elif choice not in option["choices"]:
            reserved = full["profile_options"][name]["choices"].get(choice)
            if reserved is not None:
                raise ProfileChoiceError(
                    f"The choice '{reserved.get('display_name', choice)}' for '{label}' is only for members of the "
                    f"GitHub teams {_teams_text(reserved)}. "
                    f"Choose another, or ask {contact} to add you to one of those teams."
                )
            names = ", ".join(f"'{k}'" for k in option["choices"])
            raise ProfileChoiceError(f"'{_clip(choice)}' is not a choice for '{label}'. Choose one of: {names}.")
        selection.choices[name] = choice
    return selection


def _check_unlisted(full: Mapping, visible: Mapping, label: str, value: str, registries, contact: str) -> str:
    if not visible.get("enabled"):
        if full.get("enabled"):
            raise ProfileChoiceError(
                f"Entering your own value for '{label}' is only for members of the GitHub teams "
                f"{_teams_text(full)}. Choose one of the listed choices, "
                f"or ask {contact} to add you to one of those teams."
            )
        raise ProfileChoiceError(
            f"'{label}' only accepts one of its listed choices; entering your own value is not enabled."
        )
    value = value.strip()
    message = visible.get("validation_message") or ""
    if not value:
        raise ProfileChoiceError(f"Enter a value for '{label}'." + (f" {message}" if message else ""))
    regex = visible.get("validation_regex")
    if regex and re.fullmatch(regex, value) is None:
        raise ProfileChoiceError(
            f"'{_clip(value)}' is not accepted for '{label}'. "
            + (message or f"It must match the regular expression {regex} in full.")
        )
    overrides = fill_value(visible.get("kubespawner_override", {}), value)
    for key in IMAGE_KEYS:
        image = overrides.get(key)
        if isinstance(image, str) and "{value}" in str(visible.get("kubespawner_override", {}).get(key, "")):
            try:
                check_image(image, registries)
            except ImageReferenceError as e:
                raise ProfileChoiceError(f"{label}: {e}") from None
    return value


def last_valid_selection(all_profiles, allowed, user_options, **kwargs) -> Selection | None:
    """The selection `user_options` (saved from a previous start) still make, or None if stale."""
    try:
        return select(all_profiles, allowed, user_options or {}, **kwargs)
    except ProfileChoiceError:
        return None


def selection_for_someone_else(
    all_profiles: list[dict],
    allowed: list[dict],
    requested: Any,
    owner_options: Mapping | None,
    *,
    owner: str,
    **kwargs,
) -> Selection:
    """What a start of `owner`'s server by someone else runs: the owner's last valid options, or the defaults.

    `allowed` is filtered with the owner's teams. Asking for the same choices is accepted (a restart
    sends them back); anything else is refused, so nobody runs their own image in another person's server.
    """
    owned = select(all_profiles, allowed, owner_options or {}, **kwargs)
    if requested:
        try:
            asked = select(all_profiles, allowed, requested, **kwargs).user_options()
        except ProfileChoiceError:
            asked = None
        if asked != owned.user_options():
            which = "last choices" if owner_options else "default choices (they have not chosen yet)"
            raise StartForSomeoneElseError(
                f"You are starting {owner}'s server, so it can only run {owner}'s own {which}: "
                f"profile '{owned.profile['display_name']}', not options of yours. "
                f"Start it without options, or ask {owner} to start it with the choices they want."
            )
    return owned
