"""`hubextras-traits`: the reference of hubextras' settings, generated from the traits' help texts at build time.

    ```{hubextras-traits} hubextras.config.HubExtras
    ```

The argument is a class (its own `config=True` traits) or a package (every Configurable defined in its
modules that adds settings of its own). A module that cannot be imported on the build machine gets a note
in the page instead of its settings, never a build warning. Settings shown on several pages are
indexed (and linked to) on `hubextras_settings_doc` only.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import textwrap

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from traitlets.config import Configurable

OURS = "hubextras"


def own_settings(cls) -> dict:
    """The `config=True` traits `cls` itself defines (not those it inherits), by name."""
    return dict(sorted(cls.class_own_traits(config=True).items()))


def our_bases(cls) -> list[type]:
    """The hubextras classes `cls` inherits settings from, nearest first."""
    return [base for base in cls.__mro__[1:] if base.__module__.startswith(OURS) and own_settings(base)]


def configurables_in(package_name: str) -> tuple[list[type], list[tuple[str, str]]]:
    """Configurables defined in the package's modules that add settings, and the modules that did not import."""
    found, broken = [], []
    package = importlib.import_module(package_name)
    names = [package_name]
    if hasattr(package, "__path__"):
        names += [m.name for m in pkgutil.walk_packages(package.__path__, f"{package_name}.")]
    for name in names:
        # a package's __main__ runs the program when imported
        if name.rsplit(".", 1)[-1] == "__main__":
            continue
        try:
            module = importlib.import_module(name)
        except Exception as e:
            broken.append((name, f"{type(e).__name__}: {e}"))
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == name and issubclass(cls, Configurable) and own_settings(cls) and cls not in found:
                found.append(cls)
    return found, broken


def type_text(trait) -> str:
    info = trait.info_text if isinstance(getattr(trait, "info_text", None), str) else ""
    return f"{type(trait).__name__}" + (f" ({info})" if info and len(info) < 60 else "")


def has_computed_default(cls, name: str) -> bool:
    """Whether the default comes from a `@default` method, so the static default says nothing."""
    return any(name in getattr(klass, "_trait_default_generators", {}) for klass in cls.__mro__)


def setting_markdown(cls, name: str, trait, *, indexed: bool = True) -> list[str]:
    default = "computed when the hub starts" if has_computed_default(cls, name) else trait.default_value_repr()
    if default == "traitlets.Undefined":
        default = "none"
    help_text = textwrap.dedent(trait.help or "").strip() or "(no description)"
    # the first line of a traitlets help text is not indented; dedent the rest on its own
    first, _, rest = help_text.partition("\n")
    help_text = "\n".join([first, textwrap.dedent(rest)]).strip()
    return [
        f"````{{confval}} c.{cls.__name__}.{name}",
        f":type: `{type_text(trait)}`",
        f":default: {default}" if default in ("none", "computed when the hub starts") else f":default: `{default}`",
        *([] if indexed else [":no-index:"]),
        "",
        *help_text.splitlines(),
        "````",
        "",
    ]


class HubextrasTraits(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        target = self.arguments[0]
        module_name, _, class_name = target.rpartition(".")
        try:
            if class_name[:1].isupper():
                classes, broken = [getattr(importlib.import_module(module_name), class_name)], []
            else:
                classes, broken = configurables_in(target)
        except Exception as e:
            return [
                self.note(
                    f"`{target}` cannot be imported where these docs were built ({type(e).__name__}: {e}), "
                    "so its settings are not listed here."
                )
            ]
        output: list[nodes.Node] = []
        for name, reason in broken:
            output.append(
                self.note(
                    f"`{name}` cannot be imported where these docs were built ({reason}), "
                    "so its settings are not listed here."
                )
            )
        for cls in classes:
            output.append(self.class_section(cls, titled=len(classes) > 1 or not class_name[:1].isupper()))
        if not classes and not broken:
            output.append(self.note(f"`{target}` defines no settings."))
        return output

    def note(self, text: str) -> nodes.Node:
        box = nodes.note()
        self.state.nested_parse(StringList([text]), self.content_offset, box)
        return box

    def class_section(self, cls, *, titled: bool) -> nodes.Node:
        lines = []
        if cls.__doc__:
            lines += [inspect.cleandoc(cls.__doc__).split("\n\n")[0], ""]
        lines += [
            f"Set these as `c.{cls.__name__}.<name>` in a `jupyterhub_config.d` snippet "
            f"(class `{cls.__module__}.{cls.__name__}`).",
            "",
        ]
        for base in our_bases(cls):
            lines += [
                f"It also takes every setting of `{base.__name__}` below, as `c.{cls.__name__}.<name>` "
                f"or `c.{base.__name__}.<name>`.",
                "",
            ]
        for name, trait in own_settings(cls).items():
            lines += setting_markdown(cls, name, trait, indexed=self.env.docname == self.config.hubextras_settings_doc)
        if titled:
            container = nodes.section(ids=[nodes.make_id(f"settings-{cls.__module__}-{cls.__name__}")])
            container += nodes.title(text=cls.__name__)
        else:
            container = nodes.container()
        self.state.nested_parse(StringList(lines), self.content_offset, container)
        return container


def setup(app):
    # other pages may show the same settings; only this page's copies are the link targets and index entries
    app.add_config_value("hubextras_settings_doc", "reference", "env", types=[str])
    app.add_directive("hubextras-traits", HubextrasTraits)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
