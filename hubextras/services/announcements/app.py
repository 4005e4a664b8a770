"""The announcements service: its settings (traits), its routes, and the board it keeps in its data folder.

Champions (the service's access scope) post, edit and expire announcements on its page; every change is
written whole to `data_dir/announcements.json`, which the hub's pages read (`announcements.published`),
and recorded in the audit log.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from traitlets import Unicode, default

from ...announcements.board import Announcement, replaced
from ...announcements.published import BOARD_FILE, clock_from_file, read_board, write_board
from ...scopes import ANNOUNCEMENTS_SERVICE
from ..base import AuditLog, ServiceApplication
from . import handlers


class AnnouncementsService(ServiceApplication):
    """Champions' announcements on the hub's login, home and server options pages."""

    name = "hubextras-announcements"
    description = __doc__
    service_name = ANNOUNCEMENTS_SERVICE
    package_dir = Path(__file__).resolve().parent

    @default("data_dir")
    def _default_data_dir(self):
        return os.path.abspath(ANNOUNCEMENTS_SERVICE)

    clock_file = Unicode(
        "",
        config=True,
        help="""A file holding a Unix time that the board uses as "now" while the file exists (tests and
        demos move time this way). Empty: the real clock. The hub's pages read the same setting.""",
    )

    def initialize(self, argv=None):
        super().initialize(argv)
        self.board_path = Path(self.data_dir) / BOARD_FILE
        self.board: list[Announcement] = read_board(self.board_path)
        self.audit = AuditLog(Path(self.data_dir) / "audit.jsonl")
        self.now = clock_from_file(self.clock_file)

    def routes(self):
        return [
            ("", handlers.BoardPage),
            ("api/announcements", handlers.AnnouncementsAPI),
            (r"api/announcements/([0-9a-f]{16})", handlers.AnnouncementAPI),
            (r"api/announcements/([0-9a-f]{16})/expire", handlers.ExpireAPI),
            ("api/preview", handlers.PreviewAPI),
        ]

    def new_id(self) -> str:
        return secrets.token_hex(8)

    def store(self, announcement: Announcement, who: str, action: str) -> None:
        """Put `announcement` on the board, write the board whole, then record who did it."""
        board = replaced(self.board, announcement)
        write_board(self.board_path, board)
        self.board = board
        self.audit.record(who, action, announcement=announcement.id, places=list(announcement.places),
                          starts=announcement.starts, ends=announcement.ends)


main = AnnouncementsService.launch_instance
