"""The usage pages through a real hub: champions' figures and CSV, group limits, each person's page, bumps."""

import csv
import io
import re
from html.parser import HTMLParser

import pytest
from usage_fixtures import HOUR, MONDAY
from usage_pages_fixtures import PAGES, signed_in

DAY = 86400.0
WEEK_START = MONDAY + 400 * DAY  # far from the other tests' weeks


class TableReader(HTMLParser):
    """The cells of one table of a page, by its id, as text."""

    def __init__(self, table_id):
        super().__init__()
        self.table_id, self.inside, self.rows, self.cell = table_id, False, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def table_of(html, table_id):
    reader = TableReader(table_id)
    reader.feed(html)
    return reader.rows


@pytest.fixture(scope="module")
def scripted(pages_hub):
    """A week of usage: ann 3 h small, ben 2 h medium, dan 4 h small, fay 1 h large; fay still runs 1 h."""
    for offset, (user, profile, hours) in enumerate(
        [("ann", "small", 3), ("ben", "medium", 2), ("dan", "small", 4), ("fay", "large", 1)]
    ):
        pages_hub.at(WEEK_START + offset * DAY)
        pages_hub.started(user, profile)
        pages_hub.at(WEEK_START + offset * DAY + hours * HOUR)
        pages_hub.stopped(user)
    pages_hub.at(WEEK_START + 5 * DAY)
    pages_hub.started("fay", "small")
    pages_hub.at(WEEK_START + 5 * DAY + HOUR)
    return pages_hub


def test_the_champions_page_adds_up_the_week(scripted):
    session, _ = signed_in(scripted, "champ")
    page = session.get(scripted.hub.url + PAGES, params={"window": "week"}, timeout=60).text
    people = {row[0]: row for row in table_of(page, "table-people")[1:]}
    assert people["ben"][3] == "4.00"  # 2 GiB for 2 hours
    assert people["fay"][3] == "5.00"  # 4 GiB for 1 hour, then 1 GiB running for 1 hour
    totals = table_of(page, "table-totals")[1]
    assert totals[1:5] == ["5", "11.00", "16.00", "12.00"]  # servers, server-, GiB- and CPU-hours
    assert totals[5] == f"{16 * 0.01 + 12 * 0.05:.2f}"  # at the test prices
    groups = {row[0]: row for row in table_of(page, "table-groups")[1:]}
    assert set(groups) == {"demo-org:students", "demo-org:course", "(no group)"}
    assert "<svg" in page and "GiB-hours per day" in page


@pytest.mark.parametrize("table", ["totals", "people", "groups", "profiles", "days"])
def test_the_csv_equals_the_pages_table(scripted, table):
    session, _ = signed_in(scripted, "champ")
    page = session.get(scripted.hub.url + PAGES, params={"window": "30d"}, timeout=60).text
    href = re.search(rf'id="csv-{table}" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    r = session.get(scripted.hub.url + href, timeout=60)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers["Content-Disposition"]
    assert list(csv.reader(io.StringIO(r.text))) == table_of(page, f"table-{table}")


def test_a_group_limited_champion_sees_only_their_groups(scripted):
    session, _ = signed_in(scripted, "carol")
    page = session.get(scripted.hub.url + PAGES, params={"window": "week"}, timeout=60).text
    assert "You see the servers of the people in demo-org:students" in page
    assert [row[0] for row in table_of(page, "table-people")[1:]] == ["ben", "ann"]
    assert [row[0] for row in table_of(page, "table-groups")[1:]] == ["demo-org:students"]
    assert table_of(page, "table-totals")[1][1:4] == ["2", "5.00", "7.00"]
    r = session.get(scripted.hub.url + PAGES + "csv/people.csv", params={"window": "week"}, timeout=60)
    assert "dan" not in r.text and "fay" not in r.text


def test_a_person_without_the_usage_scope_lands_on_their_own_page(scripted):
    session = scripted.hub.login("alice")
    r = session.get(scripted.hub.url + PAGES, timeout=60)
    assert r.status_code == 200 and r.url.endswith(PAGES + "me")
    assert session.get(scripted.hub.url + PAGES + "csv/people.csv", timeout=60).status_code == 403


def test_a_persons_page_shows_their_usage_quota_and_when_to_retry(pages_hub):
    start = MONDAY + 430 * DAY
    pages_hub.at(start)
    session, _ = signed_in(pages_hub, "sam")  # signs in: the hub puts him in demo-org:students
    pages_hub.started("sam", "medium")
    pages_hub.at(start + 5 * HOUR)
    pages_hub.stopped("sam")
    page = session.get(pages_hub.hub.url + PAGES + "me", timeout=60).text
    assert table_of(page, "table-totals")[1][3] == "10.00"
    quota = table_of(page, "table-quota")[1]
    assert quota[0] == "demo-org:students" and quota[2].startswith("10.00 (100%)") and quota[3] == "10"
    assert "You can start it again from" in page and "UTC" in page


def test_a_champion_grants_a_bump_and_it_is_audited(pages_hub):
    pages_hub.at(MONDAY + 431 * DAY)
    assert pages_hub.start("sam", "medium").status_code == 403  # sam used his week above
    session, xsrf = signed_in(pages_hub, "carol")
    r = session.post(
        pages_hub.hub.url + PAGES + "api/bumps",
        headers={"X-XSRFToken": xsrf},
        timeout=60,
        json={"user": "sam", "resource": "memory_gib_hours", "amount": 4, "days": 2, "reason": "exam"},
    )
    assert r.status_code == 201, r.text
    pages_hub.started("sam", "medium")
    pages_hub.stopped("sam")
    history = session.get(pages_hub.hub.url + PAGES + "api/bumps", timeout=60).json()["bumps"]
    assert (history[0]["user"], history[0]["granted_by"], history[0]["reason"]) == ("sam", "carol", "exam")
    audit = (pages_hub.hub.workdir / "usage-service" / "audit.jsonl").read_text()
    assert '"who": "carol"' in audit and '"action": "bump"' in audit


def test_a_group_limited_champion_cannot_bump_someone_outside_their_groups(pages_hub):
    session, xsrf = signed_in(pages_hub, "carol")
    r = session.post(
        pages_hub.hub.url + PAGES + "api/bumps",
        headers={"X-XSRFToken": xsrf},
        timeout=60,
        json={"user": "dan", "resource": "server_hours", "amount": 4, "days": 2},
    )
    assert r.status_code == 403 and "not in a group you look after" in r.json()["message"]


@pytest.mark.parametrize(
    "body, words",
    [
        ({"user": "sam", "resource": "disk", "amount": 1, "days": 1}, "resource"),
        ({"user": "sam", "resource": "server_hours", "amount": -1, "days": 1}, "amount"),
        ({"user": "sam", "resource": "server_hours", "amount": 1, "days": 1000}, "at most 90 days"),
    ],
)
def test_a_bad_bump_is_a_clear_400_and_nothing_is_granted(pages_hub, body, words):
    session, xsrf = signed_in(pages_hub, "champ")
    before = len(session.get(pages_hub.hub.url + PAGES + "api/bumps", timeout=60).json()["bumps"])
    r = session.post(pages_hub.hub.url + PAGES + "api/bumps", headers={"X-XSRFToken": xsrf}, json=body, timeout=60)
    assert r.status_code == 400 and words in r.json()["message"]
    assert len(session.get(pages_hub.hub.url + PAGES + "api/bumps", timeout=60).json()["bumps"]) == before


def test_a_bad_custom_window_says_how_to_write_it(scripted):
    session, _ = signed_in(scripted, "champ")
    r = session.get(scripted.hub.url + PAGES, params={"window": "custom", "from": "yesterday", "to": ""}, timeout=60)
    assert r.status_code == 400 and "YYYY-MM-DD" in r.text
