"""An example profile list in the 2i2c style: machine types, images and interfaces, some reserved by team.

Used by the demo (`jupyterhub_config.d/30-profiles.py`), the tests and the docs. It is a
plain KubeSpawner `profile_list` plus `allowed_groups`, so it works unchanged on z2jh.
"""

from __future__ import annotations

import copy

IMAGES = {
    "handbook": ("Handbook Authoring (JupyterLab)", "quay.io/2i2c/handbook-authoring-image:2024-05-21", "/lab"),
    "datascience": ("Jupyter DataScience (JupyterLab)", "quay.io/jupyter/datascience-notebook:2024-05-27", "/lab"),
    "geospatial": ("Rocker Geospatial (RStudio)", "rocker/binder:4.4", "/rstudio"),
}

INTERFACES = {
    "lab": ("JupyterLab", "/lab"),
    "notebook": ("Classic Notebook", "/tree"),
    "rstudio": ("RStudio", "/rstudio"),
}


def image_option() -> dict:
    return {
        "display_name": "Image",
        "choices": {
            key: {
                "display_name": name,
                "default": key == "datascience",
                "kubespawner_override": {"image": image},
            }
            for key, (name, image, _url) in IMAGES.items()
        },
        "unlisted_choice": {
            "enabled": True,
            "display_name": "Custom image",
            "display_name_in_choices": "Other...",
            "validation_regex": r"^.+:.+$",
            "validation_message": (
                "Must be a public image with a tag, such as quay.io/jupyter/scipy-notebook:2024-05-27."
            ),
            "kubespawner_override": {"image": "{value}"},
        },
    }


def interface_option() -> dict:
    return {
        "display_name": "Interface",
        "choices": {
            key: {"display_name": name, "default": key == "lab", "kubespawner_override": {"default_url": url}}
            for key, (name, url) in INTERFACES.items()
        },
    }


def _machine(slug, name, description, cpu_guarantee, cpu_limit, mem_guarantee, mem_limit, node_type, **extra):
    profile = {
        "display_name": name,
        "slug": slug,
        "description": description,
        "kubespawner_override": {
            "cpu_guarantee": cpu_guarantee,
            "cpu_limit": cpu_limit,
            "mem_guarantee": mem_guarantee,
            "mem_limit": mem_limit,
            "node_selector": {"node.kubernetes.io/instance-type": node_type},
        },
        "profile_options": {"image": image_option(), "interface": interface_option()},
    }
    profile.update(extra)
    return profile


def example_profile_list(org: str = "demo-org") -> list[dict]:
    """The demo's profile list: four machine types (Large for `{org}:researchers` only), three images
    plus a custom one, three interfaces. A fresh copy each call."""
    return copy.deepcopy(
        [
            _machine(
                "shared-small",
                "Shared small: 1-4 CPU, 8-32 GB",
                "A shared machine, good for teaching and light work.",
                1, 4, "8G", "32G", "n2-highmem-4",
                default=True,
            ),
            _machine("small", "Small: 4 CPU, 32 GB", "A machine of your own.", 4, 4, "32G", "32G", "n2-highmem-4"),
            _machine("medium", "Medium: 16 CPU, 128 GB", "For larger data.", 16, 16, "128G", "128G", "n2-highmem-16"),
            _machine(
                "large",
                "Large: 64 CPU, 512 GB",
                "For research workloads.",
                64, 64, "512G", "512G", "n2-highmem-64",
                allowed_groups=[f"{org}:researchers"],
            ),
        ]
    )
