"""Server profiles: one engine (KubeSpawner's `profile_list` schema plus `allowed_groups`) for both spawners."""

from .engine import (
    NoProfileAllowedError,
    ProfileChoiceError,
    Selection,
    allowed_profiles_for,
    normalize_profile_list,
    select,
)
from .images import ImageReferenceError, check_image, parse_image_reference

__all__ = [
    "ImageReferenceError",
    "NoProfileAllowedError",
    "ProfileChoiceError",
    "Selection",
    "allowed_profiles_for",
    "check_image",
    "normalize_profile_list",
    "parse_image_reference",
    "select",
]
