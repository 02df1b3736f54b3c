"""The spreadsheet import as a French writer meets it: the template written as French Excel opens it (semicolons, a
BOM, the French column names, a date as it writes them), a French file's dates read as French Excel rewrites them
(day first, in the market's local time, the same rules for a time the clocks skip or repeat), never a guess between
day first and month first where the language is not known, and the help in the reader's language."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from approval import imports
from approval.models import Post

from approval.workflow.states import Role

from test_imports import _check, _create, _csv, _day_ahead, _name, _text

PARIS = ZoneInfo("Europe/Paris")
#: Before the clocks change in 2026 (29 March: 02:00-03:00 skipped; 25 October: 02:00-03:00 read twice).
JANUARY = datetime(2026, 1, 15, 12, tzinfo=UTC)


@pytest.fixture()
def world(make):  # noqa: ANN001, ANN201
    """A writer of France (Europe/Paris) and Kenya (Africa/Nairobi), an account in each."""
    france, kenya = make.market("FR"), make.market("KE", "Africa/Nairobi", ("en",))
    return {"writer": make.user(Role.community_manager, markets=[france, kenya], name="Camille Writer"),
            "fr": make.account(france, "x"), "ke": make.account(kenya, "facebook")}


def _french(db_session, writer) -> None:  # noqa: ANN001
    writer.locale = "fr"
    db_session.flush()


def _rows(data: bytes, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))


# The template ---------------------------------------------------------------------------------------------------


def test_the_template_is_written_as_the_readers_spreadsheet_opens_it_and_imports_filled(web, db_session, world):
    web.login(world["writer"])
    data = web.get("/posts/import/template.csv").get_data()
    assert data.startswith("\ufeffaccount,text,proposed time,campaign\r\n".encode())
    rows = _rows(data, ",")
    assert rows[1][0] == _name(world["fr"]) and rows[1][2] == f"{_day_ahead(7).isoformat()} 10:00"
    rows[1][1] = "Hello Paris."
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    page = _check(web, ("\ufeff" + out.getvalue()).encode())
    assert page.status_code == 200, _text(page)[:2000]
    assert _create(web, page).status_code == 303
    assert [p.body for p in db_session.scalars(select(Post).where(Post.account_id == world["fr"].id))] == [
        "Hello Paris."]
    # In French: as French Excel opens it.
    _french(db_session, world["writer"])
    answer = web.get("/posts/import/template.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    data = answer.get_data()
    assert data.startswith("\ufeffcompte;texte;heure proposée;campagne\r\n".encode())
    rows = _rows(data, ";")
    assert [row[0] for row in rows[1:]] == [_name(world["fr"]), _name(world["ke"])]  # the writer's own accounts
    day = _day_ahead(7)
    assert rows[1][2] == f"{day:%d/%m/%Y} 10:00"  # as French Excel writes a date
    # Filled in, and checked: made, each at 10:00 in its market's zone.
    rows[1][1], rows[2][1] = "Bonjour Paris.", "Habari Nairobi."
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    page = _check(web, ("\ufeff" + out.getvalue()).encode())
    assert page.status_code == 200, _text(page)[:2000]
    assert _create(web, page).status_code == 303
    posts = db_session.scalars(select(Post).where(Post.created_by_id == world["writer"].id).order_by(Post.id)).all()[2:]
    assert [p.body for p in posts] == ["Bonjour Paris.", "Habari Nairobi."]
    local = datetime.combine(day, datetime.min.time()).replace(hour=10)
    assert posts[0].proposed_at == local.replace(tzinfo=PARIS).astimezone(UTC)
    assert posts[1].proposed_at == local.replace(tzinfo=ZoneInfo("Africa/Nairobi")).astimezone(UTC)


# French dates ---------------------------------------------------------------------------------------------------


def _french_file(*rows: str, header: str = "compte;texte;heure proposée;campagne;occurrence") -> bytes:
    return ("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode()


def test_french_dates_read_as_the_markets_local_time(app, db_session, world):
    account = _name(world["fr"])
    checked = imports.check_file(db_session, world["writer"], _french_file(
        f"{account};Un.;20/12/2026 20:00;;", f"{account};Deux.;20/12/2026 20:00:00;;",
        f"{account};Trois.;5/7/2026 9:05;;"), now=JANUARY)
    assert checked.ready, [row.errors for row in checked.rows]
    assert [row.proposed_at for row in checked.rows] == [
        datetime(2026, 12, 20, 19, tzinfo=UTC), datetime(2026, 12, 20, 19, tzinfo=UTC),
        datetime(2026, 7, 5, 7, 5, tzinfo=UTC)]


def test_french_dates_follow_the_clocks_changes(app, db_session, world):
    account = _name(world["fr"])
    checked = imports.check_file(db_session, world["writer"], _french_file(
        f"{account};Sautée.;29/03/2026 02:30;;", f"{account};Deux fois.;25/10/2026 02:30;;",
        f"{account};La seconde.;25/10/2026 02:30;;second", f"{account};La première.;25/10/2026 02:30:00;;premiere"),
        now=JANUARY)
    skipped, twice, second, first = checked.rows
    assert "The clocks skip from 02:00 to 03:00 in Europe/Paris on that day: choose 03:00 or later." in skipped.errors
    assert "Add a column “fold” and write “first” or “second” on this row." in twice.errors
    assert not second.errors and second.proposed_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert not first.errors and first.proposed_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_french_date_without_a_time_is_refused_as_such(app, db_session, world):
    checked = imports.check_file(db_session, world["writer"], _french_file(f"{_name(world['fr'])};Un.;20/12/2026;;"),
                                 now=JANUARY)
    assert checked.rows[0].errors == [
        "“20/12/2026” has no time: write the date and the time, as DD/MM/YYYY HH:MM (28/03/2027 20:00), in the "
        "account's market time."]


@pytest.mark.parametrize("header", ["compte,texte,heure", "account;text;proposed time"])
def test_french_headers_or_semicolons_make_a_french_file(app, db_session, world, header):
    separator = ";" if ";" in header else ","
    checked = imports.check_file(db_session, world["writer"],
                                 _csv(separator.join([_name(world["fr"]), "Un.", "20/12/2026 20:00"]), header=header),
                                 now=JANUARY)
    assert checked.ready, checked.rows[0].errors
    assert checked.rows[0].proposed_at == datetime(2026, 12, 20, 19, tzinfo=UTC)


@pytest.mark.parametrize("header", ["account,text,proposed time,occurrence", "account,text,date,fold"])
def test_a_name_english_shares_with_french_makes_no_french_file(app, db_session, world, header):
    """"occurrence" (the fold's) and "date" are English names too: 12/04/2026 was read as the 12th of April."""
    checked = imports.check_file(db_session, world["writer"],
                                 _csv(",".join([_name(world["fr"]), "Un.", "12/04/2027 10:00", ""]), header=header),
                                 now=JANUARY)
    assert not checked.ready and "is not a time" in checked.rows[0].errors[0], checked.rows[0].errors


def test_a_numeric_date_is_never_guessed_in_an_english_file(web, db_session, world):
    web.login(world["writer"])
    page = _check(web, _csv(f"{_name(world['fr'])},Which?,03/04/2027 20:00,"))
    assert page.status_code == 422
    assert ("“03/04/2027 20:00” is not a time: write it as YYYY-MM-DD HH:MM (2027-03-28 20:00), in the account's "
            "market time. A date written with slashes reads day first in one language and month first in another: "
            "it is read only in a file in French (DD/MM/YYYY HH:MM).") in _text(page)


def test_a_french_reader_s_english_file_reads_the_day_first(web, db_session, world):
    _french(db_session, world["writer"])
    web.login(world["writer"])
    day = _day_ahead()
    page = _check(web, _csv(f"{_name(world['fr'])},Un.,{day:%d/%m/%Y} 20:00,"))
    assert page.status_code == 200, _text(page)[:2000]
    assert _create(web, page).status_code == 303
    post = db_session.scalar(select(Post).where(Post.account_id == world["fr"].id))
    assert post.proposed_at == datetime.combine(day, datetime.min.time()).replace(hour=20, tzinfo=PARIS).astimezone(UTC)


# The help -------------------------------------------------------------------------------------------------------


def test_the_help_names_the_columns_in_the_readers_language_with_a_real_account(web, db_session, world):
    _french(db_session, world["writer"])
    web.login(world["writer"])
    page = web.get("/posts/import")
    names = re.findall(r"<dt>(.*?)</dt>", page.get_data(as_text=True), re.S)
    codes = [re.findall(r"<code>([^<]*)</code>", name) for name in names]
    assert codes[:5] == [["compte", "account"], ["texte", "text"], ["heure proposée", "proposed time"],
                         ["campagne", "campaign"], ["occurrence", "fold"]]
    assert codes[5] == ["erreur"]
    text = _text(page)
    assert "helio_fr" not in text  # no account of the writer's is named so
    assert _name(world["fr"]) in text and _name(world["ke"]) in text
