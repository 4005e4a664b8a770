"""Spawners that offer server profiles: `profiles-kube` (Kubernetes) and `profiles-local` (one machine).

`ProfilesSpawner` is what both share: it reads `profile_list`, filters it with the user's
teams, renders the form, validates a form post in `options_from_form` (a refusal shows the
form again and starts nothing), validates `user_options` again in JupyterHub's
`apply_user_options` stage (a bad REST request is a 400 before anything is created) and
applies the overrides so that nothing leaks from one start into the next. When someone
other than the owner starts a server, only the owner's own last valid options run.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import jupyterhub.metrics
from jupyterhub.utils import maybe_future, recursive_update
from tornado import web
from traitlets import Callable, Dict, List, TraitError, Unicode, Union, default, validate
from traitlets.config import LoggingConfigurable

from ..profiles.engine import (
    ProfileChoiceError,
    Selection,
    allowed_profiles_for,
    folded_groups,
    last_valid_selection,
    normalize_profile_list,
    select,
    selection_for_someone_else,
)
from ..profiles.form import render_form


def _hub_extras(spawner):
    """The shared `HubExtras` settings as configured for this spawner (made once per spawner)."""
    extras = spawner.__dict__.get("_hubextras_settings")
    if extras is None:
        extras = spawner.__dict__["_hubextras_settings"] = _make_hub_extras(spawner)
    return extras


def _make_hub_extras(spawner):
    from ..config import HubExtras

    return HubExtras(config=spawner.config)


def profile_error(error: ProfileChoiceError) -> web.HTTPError:
    """The HTTP error a person sees for a refused choice: its status and its plain message."""
    http_error = web.HTTPError(error.status_code, str(error))
    http_error.jupyterhub_message = str(error)
    return http_error


# JupyterHub 6 counts only errors (5xx) towards consecutive_failure_limit; before it, every refused
# start counted, so five refusals in a row stopped the hub. It added ServerSpawnFailureReason then.
HUB_COUNTS_REFUSALS_AS_FAILURES = not hasattr(jupyterhub.metrics, "ServerSpawnFailureReason")
STATE_KEY = "hubextras_last_options"


def start_requester(spawner):
    """Who asked for the start under way: the requesting handler's user or service (None: none known)."""
    handler = getattr(spawner, "handler", None)
    return getattr(handler, "current_user", None) if handler is not None else None


def started_by_someone_else(spawner) -> bool:
    """Whether the start under way was asked for by another user or by a service, not the owner."""
    requester = start_requester(spawner)
    if requester is None:
        return False
    return getattr(requester, "kind", "user") != "user" or requester.name != spawner.user.name


def refusal_is_not_a_failure(spawner) -> None:
    """Give back the failure a refused start adds to the hub's count (JupyterHub before 6 only).

    The hub adds one to `failure_count` when the spawn future fails, after this runs; taking one off
    first leaves the count as it was, so refusals never bring the hub to consecutive_failure_limit.
    """
    handler = getattr(spawner, "handler", None)
    if HUB_COUNTS_REFUSALS_AS_FAILURES and handler is not None:
        handler.settings["failure_count"] = handler.settings.get("failure_count", 0) - 1


async def apply_profile_user_options(spawner, user_options):
    """JupyterHub's `apply_user_options` hook: validate the options and apply the chosen profile."""
    await spawner.apply_profile_options(user_options)


class ProfilesSpawner(LoggingConfigurable):
    """Profile support shared by hubextras' spawners (a mixin placed before the Spawner class).

    Configure it as `c.ProfilesSpawner.*` (both spawners) or per spawner class.
    """

    profile_list = Union(
        trait_types=[List(trait=Dict()), Callable(), Dict()],
        config=True,
        help="""Profiles to offer, in KubeSpawner's `profile_list` schema (a list, a dict by slug, or a
        callable taking the spawner and returning either, may be async).

        Each profile has `display_name`, optional `slug`, `description`, `default`,
        `kubespawner_override` and `profile_options` (each with `display_name`, `choices` and
        `unlisted_choice` with `enabled`, `display_name`, `display_name_in_choices`,
        `validation_regex` (matched in full), `validation_message` and a `kubespawner_override`
        where `{value}` is replaced by what the person entered).

        hubextras adds `allowed_groups` (a list of JupyterHub group names such as
        `myorg:researchers`, compared case-insensitively) on profiles, choices and
        `unlisted_choice`: only members of one of the groups see and may use that entry.
        No `allowed_groups` key means everyone. Names and descriptions are plain text unless the
        entry has `html: true` (or they are `markupsafe.Markup` strings).
        """,
    )

    allowed_image_registries = List(
        Unicode(),
        config=True,
        help="""Registries custom images may come from (for example `["quay.io", "docker.io"]`).
        Empty: any registry. Applies to free-text values that fill an `image` override.""",
    )

    options_form_template = Unicode(
        "spawn_form.html",
        config=True,
        help="""Name of the options-form template, looked up in `c.JupyterHub.template_paths`
        first and then in hubextras' own templates (so a `spawn_form.html` of yours wins).
        KubeSpawner's `profile_form_template` and `additional_profile_form_template_paths` are not used.""",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._profile_baseline: dict[str, Any] = {}
        self._profile_applied = False
        self._last_valid_options: dict = {}
        self.profile_selection: Selection | None = None

    # -- wiring into JupyterHub --------------------------------------------------------

    @default("options_form")
    def _profiles_options_form_default(self):
        return self._render_profiles_form

    @default("options_from_form")
    def _profiles_options_from_form_default(self):
        return self.profile_options_from_form

    @default("apply_user_options")
    def _profiles_apply_user_options_default(self):
        return apply_profile_user_options

    @validate("apply_user_options")
    def _chain_operator_hook(self, proposal):
        hook = proposal["value"]
        if hook is None or hook is apply_profile_user_options:
            return apply_profile_user_options
        if isinstance(hook, dict):
            raise TraitError(
                "With hubextras' profile spawners, apply_user_options must be a callable: "
                "profiles already own user_options."
            )

        async def profiles_then_operator_hook(spawner, user_options):
            await apply_profile_user_options(spawner, user_options)
            result = hook(spawner, user_options)
            if inspect.isawaitable(result):
                await result

        return profiles_then_operator_hook

    # -- who may use what ---------------------------------------------------------------

    async def profile_groups(self) -> frozenset[str]:
        """The user's group names (JupyterHub groups and auth_state teams), case-folded."""
        names = [group.name for group in getattr(self.user, "groups", [])]
        auth_state = await self.user.get_auth_state() or {}
        return folded_groups(names + auth_state_team_names(auth_state))

    # Normalized copies of static profile lists, by identity: the engine never changes them.
    _normalized_profiles: dict[int, tuple[Any, list[dict]]] = {}

    async def all_profiles(self) -> list[dict]:
        """The normalized profile list (a callable list is called each time)."""
        profile_list = self.profile_list
        if callable(profile_list):
            return normalize_profile_list(await maybe_future(profile_list(self)))
        cached = ProfilesSpawner._normalized_profiles.get(id(profile_list))
        if cached is None or cached[0] is not profile_list:
            if len(ProfilesSpawner._normalized_profiles) > 16:
                ProfilesSpawner._normalized_profiles.clear()
            cached = ProfilesSpawner._normalized_profiles[id(profile_list)] = (
                profile_list, normalize_profile_list(profile_list))
        return cached[1]

    async def profiles_for_user(self) -> tuple[list[dict], list[dict]]:
        """All profiles (normalized) and those this user may use."""
        profiles = await self.all_profiles()
        return profiles, allowed_profiles_for(profiles, await self.profile_groups())

    def _select_options(self) -> dict:
        return {"allowed_image_registries": self.allowed_image_registries, "contact": _hub_extras(self).contact_text}

    async def is_champion(self) -> bool:
        """Admins and members of the champions' team."""
        team = _hub_extras(self).champions_team
        return bool(getattr(self.user, "admin", False)) or bool(team and team.casefold() in await self.profile_groups())

    # -- the form -----------------------------------------------------------------------

    def profile_form_notes(self) -> str:
        """A plain-text line above the profiles; subclasses say how they enforce sizes."""
        return ""

    def _template_paths(self) -> list[str]:
        settings = getattr(self.user, "settings", None) or {}
        return list(settings.get("template_path") or [])

    async def _render_profiles_form(self, spawner=None) -> str:
        profiles, allowed = await self.profiles_for_user()
        if not profiles:
            return ""
        options = self._select_options()
        if not allowed:
            try:
                select(profiles, allowed, {}, **options)
            except ProfileChoiceError as e:
                raise profile_error(e) from None
        selection = last_valid_selection(profiles, allowed, self.user_options, **options)
        if selection is None and self._last_valid_options:
            selection = last_valid_selection(profiles, allowed, self._last_valid_options, **options)
        return render_form(
            allowed,
            selection,
            self._template_paths(),
            notes=self.profile_form_notes(),
            template_name=self.options_form_template,
        )

    async def profile_options_from_form(self, formdata: dict) -> dict:
        """`user_options` from the posted form, validated: a refusal is an HTTPError, which JupyterHub shows
        above the form again with its status, and no spawn starts (so none can fail or stall the next)."""
        options = form_user_options(formdata)
        profiles, allowed = await self.profiles_for_user()
        if not profiles:
            return options
        try:
            return select(profiles, allowed, options, **self._select_options()).user_options()
        except ProfileChoiceError as e:
            raise profile_error(e) from None

    # -- applying a choice --------------------------------------------------------------

    async def apply_profile_options(self, user_options) -> Selection | None:
        """Validate `user_options` (raising HTTPError 400/403 with a readable message) and apply the profile."""
        try:
            selection = await self._choose_profile(user_options)
        except web.HTTPError:
            self._keep_last_valid_options()
            refusal_is_not_a_failure(self)
            raise
        self.restore_profile_baseline()
        self._profile_applied = True
        self.profile_selection = selection
        if selection is not None:
            self._last_valid_options = selection.user_options()
            self._keep_last_valid_options()
            self.log.info("Applying profile %r for %s", selection.slug, self._log_name)
            for override in selection.overrides():
                await self.apply_profile_override(override)
        await self.apply_shared_dir(await self.is_champion())
        return selection

    async def _choose_profile(self, user_options) -> Selection | None:
        profiles, allowed = await self.profiles_for_user()
        if not profiles:
            if user_options:
                self.log.warning("Ignoring user_options %s: no profile_list is configured", sorted(user_options))
            return None
        try:
            if started_by_someone_else(self):
                requester = start_requester(self)
                self.log.info("%s starts %s: only %s's own options may run", requester.name, self._log_name,
                              self.user.name)
                return selection_for_someone_else(profiles, allowed, user_options, self._last_valid_options,
                                                  owner=self.user.name, **self._select_options())
            return select(profiles, allowed, user_options, **self._select_options())
        except ProfileChoiceError as e:
            raise profile_error(e) from None

    def _keep_last_valid_options(self) -> None:
        """Make the saved `user_options` the last valid ones: JupyterHub saves what was asked even when refused,
        and reuses it for the next start without options (so a refused custom image never comes back)."""
        self.user_options = dict(self._last_valid_options)
        orm_spawner = getattr(self, "orm_spawner", None)
        db = getattr(self.user, "db", None)
        if orm_spawner is not None and db is not None:
            orm_spawner.user_options = dict(self._last_valid_options)
            db.commit()

    def get_state(self):
        """The spawner's state plus the owner's last valid options (kept across hub restarts)."""
        state = super().get_state()
        if self._last_valid_options:
            state[STATE_KEY] = self._last_valid_options
        return state

    def load_state(self, state):
        super().load_state(state)
        if isinstance(state.get(STATE_KEY), dict):
            self._last_valid_options = dict(state[STATE_KEY])

    def remember_profile_baseline(self, key: str) -> None:
        """Keep the configured value of `key` before the first override, to restore it for the next start."""
        if key not in self._profile_baseline:
            self._profile_baseline[key] = copy.deepcopy(getattr(self, key))

    def restore_profile_baseline(self) -> None:
        """Undo every override of the previous start (image, node selector, limits, mounts...)."""
        if self._profile_applied:
            for key, value in self._profile_baseline.items():
                setattr(self, key, copy.deepcopy(value))
        self._profile_applied = False
        self.profile_selection = None

    def clear_state(self):
        super().clear_state()
        self.restore_profile_baseline()

    def usable_override_key(self, key: str) -> bool:
        """Whether `key` of a `kubespawner_override` is a setting of this spawner (others are skipped)."""
        return self.has_trait(key)

    async def apply_profile_override(self, override: dict) -> None:
        """Apply one `kubespawner_override`: callables are called (maybe async), dicts merge, None deletes."""
        for key, value in override.items():
            if not self.usable_override_key(key):
                continue
            if callable(value):
                value = await maybe_future(value(self))
            self.remember_profile_baseline(key)
            current = getattr(self, key)
            if isinstance(value, dict) and isinstance(current, dict):
                # Merge into a copy: the configured dict is shared by every spawner.
                merged = copy.deepcopy(current)
                recursive_update(merged, copy.deepcopy(value))
                setattr(self, key, merged)
            else:
                setattr(self, key, copy.deepcopy(value))

    async def apply_shared_dir(self, champion: bool) -> None:
        """Give the shared directory: read-only at ~/shared, and read-write at ~/shared-readwrite for champions."""
        raise NotImplementedError


def auth_state_team_names(auth_state: dict) -> list[str]:
    """`org:slug` team names from auth_state: hubextras' own groups, else oauthenticator's GitHub team
    objects under "teams" (another GitHub authenticator), or the strings hubextras kept there before."""
    if isinstance(auth_state.get("hubextras_groups"), list):
        return [name for name in auth_state["hubextras_groups"] if isinstance(name, str)]
    names = []
    for team in auth_state.get("teams") or []:
        if isinstance(team, str):
            names.append(team)
        elif isinstance(team, dict) and isinstance(team.get("organization"), dict) and team.get("slug"):
            names.append(f"{team['organization'].get('login')}:{team['slug']}")
    return names


def form_user_options(formdata: dict) -> dict:
    """`user_options` from a posted form: only the chosen profile's fields, custom text only when chosen."""
    slug = (formdata.get("profile") or [""])[0]
    options = {"profile": slug} if slug else {}
    prefix = f"profile-option-{slug}--"
    for key, values in formdata.items():
        if slug and key.startswith(prefix) and not key.endswith("--unlisted-choice"):
            name = key[len(prefix) :]
            options[name] = values[0] if values else ""
            if options[name] == "unlisted-choice":
                options[f"{name}--unlisted-choice"] = (formdata.get(f"{key}--unlisted-choice") or [""])[0]
    return options


def unknown_override_keys(profiles: list[dict], usable) -> set[str]:
    """Override keys in `profiles` for which `usable(key)` is false."""
    keys = set()
    for profile in profiles:
        overrides = [profile.get("kubespawner_override", {})]
        for option in profile.get("profile_options", {}).values():
            overrides += [c.get("kubespawner_override", {}) for c in option.get("choices", {}).values()]
            overrides.append(option.get("unlisted_choice", {}).get("kubespawner_override", {}))
        for override in overrides:
            keys |= {k for k in override if not usable(k)}
    return keys
