# hubextras: our page templates first (they extend JupyterHub's own), and the page variables.
from hubextras.config import HubExtras, configured, templates_path

_extras = HubExtras.from_config(c)
_templates = str(templates_path())
c.JupyterHub.template_paths = [_templates] + [
    p for p in configured(c.JupyterHub, "template_paths", []) if p != _templates
]
c.JupyterHub.template_vars = {**configured(c.JupyterHub, "template_vars", {}), **_extras.template_vars()}
