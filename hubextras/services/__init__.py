"""Services the hub runs for its champions (JupyterHub-managed tornado apps behind HubOAuth)."""
