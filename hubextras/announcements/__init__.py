"""Announcements champions post: the board (pure), safe markdown, the published file and the hub pages' provider.

- `board`: announcements as plain data; posting, editing, expiring and "what shows here now" (pure).
- `markup.render_markdown`: markdown to HTML that cannot run script (markdown-it-py, then nh3's allow-list).
- `published`: the board's one file (written whole, atomically) and `PageAnnouncements`, the hub-side
  `template_vars` provider that the hub's login, home and spawn pages read.

The service champions use is `hubextras.services.announcements`; the config is `wiring.add_announcements`.
"""
