# Pushing to GitHub without a personal token (docs/github-push-operators.md): with c.GitHubApp.client_id set,
# servers get gh-scoped-creds' settings; with c.GitHubApp.app_id and private_key_file, shared-data pulls
# private repositories with the app's installation tokens.
from hubextras.github_push import configure_github_push

configure_github_push(c)
