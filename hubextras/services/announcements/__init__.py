"""Announcements champions post, edit and expire; the hub's login, home and spawn pages show the current ones."""
