# Announcements (docs/announcements-operators.md): champions post them in a managed service; the hub's login, home
# and server options pages show the current ones, and HubExtras.announcements where none are current.
# Operators tune it with `c.AnnouncementsService.<setting>`, set before this runs.
from hubextras.announcements.wiring import add_announcements

add_announcements(c)
