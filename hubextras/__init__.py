"""hubextras: GitHub-team sign-in, server profiles and champions' panels for JupyterHub."""

__version__ = "0.1.0"
