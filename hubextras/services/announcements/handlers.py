"""The champions' page and the board's JSON API: parse, call the pure board, store, answer."""

from __future__ import annotations

from pydantic import Field

from ...announcements import board
from ...announcements.markup import render_markdown
from ..base import BodyModel, JSONAPIHandler, Refused, ServiceHandler

MAX_BODY_BYTES = 64 * 1024


class Draft(BodyModel):
    markdown: str = Field(max_length=4 * board.MAX_MARKDOWN_CHARS)
    places: list[str] = Field(max_length=len(board.PLACES))
    starts: float | None = None
    ends: float | None = None


class Preview(BodyModel):
    markdown: str = Field(max_length=4 * board.MAX_MARKDOWN_CHARS)


def listed(announcement: board.Announcement, now: float) -> dict:
    return {**announcement.to_json(), "html": render_markdown(announcement.markdown),
            "state": announcement.state(now)}


class BoardPage(ServiceHandler):
    async def get(self):
        await self.render_page("announcements.html", page_title="Announcements", places=board.PLACE_NAMES)


class BoardAPI(JSONAPIHandler):
    max_body_bytes = MAX_BODY_BYTES

    def find(self, id: str) -> board.Announcement:
        found = next((a for a in self.service.board if a.id == id), None)
        if found is None:
            raise Refused(404, "There is no such announcement (it may have been removed). Reload the page.")
        return found

    def answer(self, announcement: board.Announcement, status: int = 200) -> None:
        self.send_json(listed(announcement, self.service.now()), status)


class AnnouncementsAPI(BoardAPI):
    def get(self):
        now = self.service.now()
        self.send_json({"announcements": [listed(a, now) for a in self.service.board], "now": now})

    def post(self):
        draft = self.body(Draft)
        service = self.service
        try:
            new = board.post(service.board, service.new_id(), draft.markdown, draft.places, draft.starts, draft.ends,
                             author=self.username, now=service.now())
        except board.AnnouncementError as e:
            raise Refused(400, str(e)) from None
        service.store(new, self.username, "post")
        self.answer(new, 201)


class AnnouncementAPI(BoardAPI):
    def get(self, id: str):
        self.answer(self.find(id))

    def put(self, id: str):
        draft = self.body(Draft)
        try:
            changed = board.edit(self.find(id), draft.markdown, draft.places, draft.starts, draft.ends,
                                 editor=self.username, now=self.service.now())
        except board.AnnouncementError as e:
            raise Refused(400, str(e)) from None
        self.service.store(changed, self.username, "edit")
        self.answer(changed)


class ExpireAPI(BoardAPI):
    def post(self, id: str):
        ended = board.expire(self.find(id), editor=self.username, now=self.service.now())
        self.service.store(ended, self.username, "expire")
        self.answer(ended)


class PreviewAPI(BoardAPI):
    def post(self):
        self.send_json({"html": render_markdown(self.body(Preview).markdown)})
