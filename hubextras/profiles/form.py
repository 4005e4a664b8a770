"""The options form: what each profile offers, rendered with autoescaping from an overridable template."""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from .engine import UNLISTED, UNLISTED_SUFFIX, Selection

TEMPLATE_NAME = "spawn_form.html"
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_bytes(value) -> int | None:
    """Bytes in a memory size such as `32G`, `512M`, `1.5G` or an int (JupyterHub's units: powers of 1024)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([KMGT]?)i?B?\s*", str(value), re.IGNORECASE)
    if not match:
        return None
    return int(float(match[1]) * _UNITS[match[2].upper()])


def format_bytes(n: int) -> str:
    for unit in ("T", "G", "M", "K"):
        if n >= _UNITS[unit]:
            return f"{n / _UNITS[unit]:.4g} {unit}B"
    return f"{n} bytes"


def _cpus(value) -> str:
    value = float(value)
    return f"{value:g} CPU" + ("" if value == 1 else "s")


def machine_summary(override: dict) -> str:
    """One sentence saying what a `kubespawner_override`'s CPU, memory and GPU settings mean."""
    parts = []
    cpu_g, cpu_l = override.get("cpu_guarantee"), override.get("cpu_limit")
    mem_g, mem_l = parse_bytes(override.get("mem_guarantee")), parse_bytes(override.get("mem_limit"))
    if cpu_g is not None and cpu_l is not None and float(cpu_g) != float(cpu_l):
        parts.append(f"{_cpus(cpu_g)} guaranteed, up to {_cpus(cpu_l)}")
    elif cpu_l is not None or cpu_g is not None:
        parts.append(_cpus(cpu_l if cpu_l is not None else cpu_g))
    if mem_g is not None and mem_l is not None and mem_g != mem_l:
        parts.append(f"{format_bytes(mem_g)} memory guaranteed, up to {format_bytes(mem_l)}")
    elif mem_l is not None or mem_g is not None:
        parts.append(f"{format_bytes(mem_l if mem_l is not None else mem_g)} memory")
    gpus = (override.get("extra_resource_limits") or {}).get("nvidia.com/gpu")
    if gpus:
        parts.append(f"{gpus} GPU" + ("" if str(gpus) == "1" else "s"))
    return "; ".join(parts) + "." if parts else ""


def _text(entry: dict, key: str):
    value = entry.get(key, "")
    if isinstance(value, Markup):
        return value
    return Markup(value) if entry.get("html") else value


def form_profiles(allowed: list[dict], selection: Selection | None) -> list[dict]:
    """What the template needs for each allowed profile: names, texts, machine summary, options, what is selected."""
    views = []
    for profile in allowed:
        selected = selection is not None and selection.slug == profile["slug"]
        options = []
        for name, option in profile.get("profile_options", {}).items():
            unlisted = option["unlisted_choice"]
            current = None
            custom = ""
            if selected and name in selection.unlisted:
                current, custom = UNLISTED, selection.unlisted[name]
            elif selected:
                current = selection.choices.get(name)
            if current is None:
                current = next((k for k, c in option["choices"].items() if c.get("default")), UNLISTED)
            choices = [
                {
                    "key": key,
                    "display_name": _text(choice, "display_name") or key,
                    "description": _text(choice, "description"),
                    "summary": machine_summary(choice.get("kubespawner_override", {})),
                    "selected": key == current,
                }
                for key, choice in option["choices"].items()
            ]
            options.append(
                {
                    "name": name,
                    "field": f"profile-option-{profile['slug']}--{name}",
                    "unlisted_field": f"profile-option-{profile['slug']}--{name}{UNLISTED_SUFFIX}",
                    "display_name": _text(option, "display_name") or name,
                    "choices": choices,
                    "unlisted": {
                        "enabled": bool(unlisted.get("enabled")),
                        "key": UNLISTED,
                        "display_name": unlisted.get("display_name") or f"Other {option.get('display_name', name)}",
                        "display_name_in_choices": unlisted.get("display_name_in_choices", "Other..."),
                        "validation_message": unlisted.get("validation_message", ""),
                        "selected": current == UNLISTED,
                        "value": custom,
                    },
                }
            )
        views.append(
            {
                "slug": profile["slug"],
                "display_name": _text(profile, "display_name"),
                "description": _text(profile, "description"),
                "summary": machine_summary(profile.get("kubespawner_override", {})),
                "selected": selected if selection is not None else bool(profile.get("default")),
                "options": options,
            }
        )
    if views and not any(v["selected"] for v in views):
        views[0]["selected"] = True
    return views


@lru_cache(maxsize=16)
def _environment(paths: tuple[str, ...]) -> Environment:
    loaders = [FileSystemLoader(list(paths))] if paths else []
    return Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(default=True, default_for_string=True),
        auto_reload=True,
    )


def bundled_templates() -> Path:
    """Our own template folder (a checkout's share/templates, or the installed copy)."""
    checkout = Path(__file__).resolve().parents[2] / "share" / "templates"
    return checkout if checkout.is_dir() else Path(sys.prefix) / "share" / "hubextras" / "templates"


def render_form(
    allowed: list[dict],
    selection: Selection | None,
    template_paths=(),
    *,
    notes: str = "",
    template_name: str = TEMPLATE_NAME,
) -> str:
    """Render the form from `template_name`, found in `template_paths` first, then in our templates.

    `notes` is a line of plain text shown above the profiles (for example how a machine caps sizes).
    """
    paths = tuple(str(p) for p in template_paths) + (str(bundled_templates()),)
    template = _environment(paths).get_template(template_name)
    return template.render(profiles=form_profiles(allowed, selection), notes=notes, unlisted_key=UNLISTED)
