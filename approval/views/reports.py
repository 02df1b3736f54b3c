"""Reports (project managers and admins): how the team does per market, campaign and period (each market's own
days: ``approval.queries.reports``), as numbers, SVG charts drawn on the server by pygal (no JavaScript, no CDN) and
a CSV of each chart's numbers; and the audit page (admins): every audit row across posts, filtered, keyset-paged,
exported as CSV, a ``schedule`` row with the time it chose."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pygal
from babel.dates import format_interval, format_skeleton
from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context, url_for
from flask_babel import format_decimal, format_percent, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from pygal.etree import etree
from pygal.style import Style
from sqlalchemy import Select, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import aliased

from approval import operations as ops
from approval.access import market_clause
from approval.db import db, driver_says, side_transaction, utcnow
from approval.filters import percentage
from approval.inputs import parse_id
from approval.labels import decimal_comma, label
from approval.models import Account, AuditEntry, Campaign, Market, Post, User
from approval.queries import reports
from approval.style import BY_ID
from approval.style.language import name as language_name
from approval.style.network import network_name
from approval.views import roles_required
from approval.views.posts import HistoryLine
from approval.workflow.states import Action, Role, State

bp = Blueprint("reports", __name__, url_prefix="/reports")
MANAGERS = (Role.project_manager, Role.admin)
CHARTS = ("weekly", "durations", "rates", "reasons", "findings")
#: The default period: the week in progress and this many whole weeks before it (Monday to Sunday, the markets' days).
DEFAULT_WEEKS = 8
MAX_DAYS = 366
#: The days a report may start or end on: no business report reaches beyond them, and year 1 or 9999 overflowed the
#: counting of weeks.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)
AUDIT_PAGE = 100
#: The CSV export of the audit stops after this many rows: narrow the filters for more.
AUDIT_EXPORT_MAX = 200_000
#: Rows of the audit export read by one statement.
AUDIT_BATCH = 1000
STYLE = Style(background="white", plot_background="white", font_family="sans-serif",
              colors=("#2f7d4f", "#b33a3a", "#8a5a00", "#6b6b6b", "#3355cc"))
#: A phone's charts (``?size=phone``): half the width, taller, larger type, so that shown 360 px wide their labels
#: read (the desktop's 800 px chart shrunk there had 4-pixel labels). The page's heading names each: no title.
PHONE_STYLE = Style(background="white", plot_background="white", font_family="sans-serif", colors=STYLE.colors,
                    label_font_size=14, major_label_font_size=14, legend_font_size=15, value_font_size=15)


# The selection ------------------------------------------------------------------------------------------------------

class BadSelection(ValueError):
    """A period the page cannot show: the page says why and shows the default period; a chart or a CSV is a 400."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _date(name: str) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise BadSelection(_("“%(value)s” is not a date: write it as YYYY-MM-DD.", value=value[:40]))
    if not FIRST_DAY <= day <= LAST_DAY:  # the weeks and the default period are counted from it: year 1 overflowed
        raise BadSelection(_("Choose a date between %(first)s and %(last)s.", first=FIRST_DAY.isoformat(),
                             last=LAST_DAY.isoformat()))
    return day


def _default_first_day(today: date) -> date:
    """The default period's first day: the Monday ``DEFAULT_WEEKS`` whole weeks before this week's."""
    return reports.week_of(today) - timedelta(weeks=DEFAULT_WEEKS)


def _today(market: Market | None) -> date:
    """Today in the market's zone; over all the viewer's markets, the latest of their days (India's Monday begins
    before France's), UTC's without any."""
    zones = [market.timezone] if market else db.session.scalars(
        select(Market.timezone).where(market_clause(current_user)).distinct()).all()
    now = utcnow()
    return max((reports.today_in(now, zone) for zone in zones), default=now.date())


def _selection(*, default_period: bool = False) -> tuple[Market | None, reports.Period]:
    """The market asked for (None: all the viewer's) and the period: ``from`` and ``to`` are days, both included,
    each market's own (its zone's)."""
    market = _asked_market()
    # By default, today and the whole weeks before it: the weeks are counted from Monday, and a period begun on
    # another day counted only part of its first week, which read as a week with nothing done.
    today = _today(market)
    last_day = (None if default_period else _date("to")) or today
    start_day = (None if default_period else _date("from")) or _default_first_day(min(last_day, today))
    if start_day > last_day:
        raise BadSelection(_("The period must start before it ends."))
    end_day = last_day + timedelta(days=1)
    if (end_day - start_day).days > MAX_DAYS:
        raise BadSelection(_("A report covers %(days)s days at most: choose a shorter period.", days=MAX_DAYS))
    start = datetime.combine(start_day, datetime.min.time(), tzinfo=UTC)
    return market, reports.Period(start, datetime.combine(end_day, datetime.min.time(), tzinfo=UTC))


def _asked_market() -> Market | None:
    """The market the ``market`` argument names among the viewer's (None: not asked). A code of no market, or of
    another's, is a 404: never a page, a chart or a file of nothing that names it."""
    code = request.args.get("market", "").strip()
    if not code:
        return None
    # Two ASCII letters before anything is looked up: "ß" is "SS" once upper-cased, and a NUL byte was an error of
    # PostgreSQL (a 500).
    if len(code) != 2 or not (code.isascii() and code.isalpha()):
        abort(404)
    market = db.session.scalar(select(Market).where(Market.code == code.upper(), market_clause(current_user)))
    if market is None:
        abort(404)
    return market


def _asked_campaign() -> Campaign | None:
    """The campaign the ``campaign`` argument names among those the viewer sees (their markets' and the group-wide
    ones: ``operations.usable_campaigns``; None: not asked). Anything else is a 404, as a market that is not one of
    theirs: another market's campaign is not named."""
    asked = request.args.get("campaign", "").strip()
    if not asked:
        return None
    campaign_id = parse_id(asked)
    campaign = db.session.scalar(select(Campaign).where(
        Campaign.id == campaign_id,
        Campaign.market_id.is_(None) | Campaign.market_id.in_(select(Market.id).where(market_clause(current_user))),
    )) if campaign_id else None
    if campaign is None:
        abort(404)
    return campaign


def _attachment(response: Response, name: str) -> Response:
    """The response as a download named ``name``, quoted by werkzeug (a name is made of stored codes and dates,
    never of what the request typed: a character HTTP/1.1 cannot carry made the server drop the connection)."""
    response.headers.set("Content-Disposition", "attachment", filename=name)
    return response


@dataclass(frozen=True)
class Shown:
    """What a report shows: its market (None: all the viewer's), its campaign (None: every post) and its period."""

    market: Market | None
    campaign: Campaign | None
    period: reports.Period

    @property
    def args(self) -> dict[str, str]:
        """The query string of this selection, for the links that keep it (presets, downloads, charts, sorting)."""
        return {**({"market": self.market.code} if self.market else {}),
                **({"campaign": str(self.campaign.id)} if self.campaign else {}),
                "from": self.period.first_day.isoformat(), "to": self.period.last_day.isoformat()}


def _report(*parts: str, default_period: bool = False) -> tuple[Shown, reports.Report]:
    """The report of the selection: whole for the page, the part a chart draws for the chart. A chart or a CSV of
    a period that cannot be shown is a 400 (the page links only to valid ones)."""
    try:
        market, period = _selection(default_period=default_period)
    except BadSelection:
        if not parts:
            raise
        abort(400)
    campaign = _asked_campaign()
    clause = Market.id == market.id if market else (None if current_user.group_wide else market_clause(current_user))
    if not parts:  # the page: a row per network for one market, for several when asked (``by=network``)
        parts = (*reports.PARTS, *((reports.NETWORKS,) if market or _by_network() else ()))
    report = reports.build(db.session, clause, period, parts=parts, campaign=campaign.id if campaign else None)
    if report.unkept or report.stale:
        _keep(report.unkept | report.stale)
    return Shown(market, campaign, period), report


def _by_network() -> bool:
    """Whether the page over several markets shows a row per network too: asked for, as the day in progress is then
    split by network, a lookup of each of its audit rows' post (one market's are few)."""
    return request.args.get("by") == "network"


def _keep(days: set[tuple[int, date]]) -> None:
    """Keep, beside this request (which only reads), the closed days of the markets that the report computed from
    the audit trail: nobody kept them yet (the worker keeps each day as it closes; not the days before it first ran,
    nor those it was down), or they were kept by an earlier definition. The next view reads them instead of the
    trail. Best effort: a writer holding the lock leaves them to be computed again."""
    try:
        with side_transaction() as session:
            reports.keep(session, days)
    except OperationalError as error:
        current_app.logger.warning("reports: the closed days were not kept now: %s", driver_says(error))


def _period_words(period: reports.Period) -> str:
    """The period as a reader says it: "Nov 2 – 15, 2026", "2–15 nov. 2026"."""
    return format_interval(period.start.date(), period.last_day, "yMMMd", locale=get_locale())


def _presets(shown: Shown) -> list[dict[str, Any]]:
    """Periods one click away, each up to today at most, and whether it is the one shown."""
    today = _today(shown.market)
    monday, first_of_month = reports.week_of(today), today.replace(day=1)
    last_month_ends = first_of_month - timedelta(days=1)
    quarter = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    presets = [(_("This week"), monday, today),
               (_("Last week"), monday - timedelta(days=7), monday - timedelta(days=1)),
               (_("Last 8 weeks"), _default_first_day(today), today),
               (_("Last month"), last_month_ends.replace(day=1), last_month_ends),
               (_("This quarter"), quarter, today)]
    current = (shown.period.first_day, shown.period.last_day)
    return [{"label": words, "active": (first, last) == current,
             "args": {**shown.args, "from": first.isoformat(), "to": last.isoformat()}}
            for words, first, last in presets]


# The page ----------------------------------------------------------------------------------------------------------

@bp.get("")
@roles_required(*MANAGERS)
def show_reports():
    try:
        shown, report = _report()
        refused = None
    except BadSelection as bad:  # the form's dates: said on the page, which shows the default period meanwhile
        refused = bad.message
        shown, report = _report(default_period=True)
    market = shown.market
    markets = db.session.scalars(select(Market).where(market_clause(current_user)).order_by(Market.code)).all()
    args = shown.args
    # A refused period stays in the form, to fix (the figures and the exports are the default period's meanwhile).
    typed = {**args, **{key: request.args.get(key, "")[:10] for key in ("from", "to")}} if refused else args
    sort = request.args.get("sort", "")
    sort = sort if sort in SORTS else "name"
    covered = [market] if market else list(markets)
    by_market = _rows([(m.code, str(m), report.by_market.get(m.id)) for m in covered], sort)
    by_network = _rows([(network, network_name(network), totals) for network, totals in report.by_network.items()],
                       sort)
    reasons_bars = len(_charted_reasons(_table("reasons", report)[1]))  # its chart's height: the <img>'s too
    return render_template(
        "reports/index.html", report=report, market=market, markets=markets, campaign=shown.campaign,
        campaigns=ops.usable_campaigns(db.session, current_user), args=args, shown=typed,
        refused=refused, charts=CHARTS, titles=_titles(), final=reports.FINAL,
        heights={name: (_chart_height(name, reasons_bars, False), _chart_height(name, reasons_bars, True))
                 for name in CHARTS},
        reasons_cut=_reasons_cut(report), reasons_charted=REASONS_CHARTED, reasons_bars=reasons_bars,
        table=reports.per_week_table(report), period_words=_period_words(report.period),
        presets=_presets(shown), sort=sort, sorts=SORTS,
        by_market=by_market if len(covered) > 1 else None,
        idle=[str(m) for m in covered if not (m.id in report.by_market and report.by_market[m.id].active)],
        by_network=by_network if len(by_network) > 1 else None, posts_link=_posts_link(shown),
        networks_asked=bool(market) or _by_network(),
        page_args={**args, **({"by": "network"} if _by_network() else {})},
    ), 400 if refused else 200


def _titles() -> dict[str, str]:
    return {"weekly": _("Posts per week by final state"), "durations": _("Time in review and to publish (hours)"),
            "rates": _("Approval and on-time rates (%)"), "reasons": _("Words of change requests and rejections"),
            "findings": _("Most frequent style findings")}


def _final_label(state: State) -> str:
    """A final state as the report names it: "declined" read as "rejected" to a boss; it is the cabinet's."""
    return _("declined by the cabinet") if state == State.declined else str(label(state))


# The rows per market and per network --------------------------------------------------------------------------------

#: How the tables may be sorted, each worst first: (key, whether the largest comes first). ``name``: by name.
SORTS: dict[str, tuple[Callable[[reports.Totals], Any], bool]] = {
    "approval": (lambda t: t.approval_rate, False),
    "rejected": (lambda t: t.final[State.rejected], True),
    "declined": (lambda t: t.final[State.declined], True),
    "review": (lambda t: t.review.median_h, True),
    "on_time": (lambda t: t.on_time_rate, False),
    "late": (lambda t: t.late, True),
    "missed": (lambda t: t.missed, True),
    "failed": (lambda t: t.failed, True),
    "unconfirmed": (lambda t: t.unconfirmed, True),
    "publish": (lambda t: t.to_publish.median_h, True),
}


def _rows(rows: list[tuple[str, str, reports.Totals | None]], sort: str) -> list[dict[str, Any]]:
    """The rows of a table (``key``, its name, its figures) with something to show, sorted by ``sort``: by name, or
    worst first (a row with nothing to rate last), then by name."""
    active: list[dict[str, Any]] = [{"key": key, "name": name, "totals": totals} for key, name, totals in rows
                                    if totals is not None and totals.active]
    active.sort(key=lambda row: str(row["name"]).casefold())
    if sort in SORTS:
        measure, largest_first = SORTS[sort]
        rated = [row for row in active if measure(row["totals"]) is not None]
        rated.sort(key=lambda row: measure(row["totals"]), reverse=largest_first)  # stable: ties stay by name
        active = rated + [row for row in active if measure(row["totals"]) is None]
    return active


def _posts_link(shown: Shown) -> Callable[..., str | None]:
    """The address of the posts behind a count of the report (``reports.ACTED``), in a market or on a network of
    it, of its campaign (the posts list's ``action``, ``acted_from``, ``acted_to`` and ``campaign_id`` filters); None
    for a count of 0, or one the posts list cannot list."""

    def link(kind: str, count: int, *, code: str | None = None, network: str | None = None) -> str | None:
        if not count or kind not in reports.ACTED:
            return None
        where = {"market": code or (shown.market.code if shown.market else None), "network": network,
                 "campaign_id": shown.campaign.id if shown.campaign else None}
        args: dict[str, Any] = {name: value for name, value in where.items() if value}
        args.update(action=str(reports.ACTED[kind]), acted_from=shown.period.first_day.isoformat(),
                    acted_to=shown.period.last_day.isoformat())
        return url_for("posts.list_posts", **args)

    return link


def _totals_header(first: str) -> list[str]:
    return [first, _("name"), _("approved"), _("decisions"), _("approval rate (%)"), str(label(State.rejected)),
            _("declined by the cabinet"), _("review stays"), _("time in review: median (hours)"),
            _("time in review: 90th percentile (hours)"), _("published on time"), _("slots"),
            _("on-time rate (%)"), _("published late"), _("missed slots"), str(label(State.failed)),
            str(label(State.unconfirmed)), _("published by the publishing worker"), _("marked as published by hand"),
            _("confirmed as published after an unknown outcome"), _("publications"),
            _("time to publish: median (hours)"), _("time to publish: 90th percentile (hours)")]


def _totals_row(key: str, name: str, t: reports.Totals) -> list:
    return [key, name, t.approved, t.decided, percentage(t.approval_rate), t.final[State.rejected],
            t.final[State.declined], t.review.count, *_hundredths(t.review), t.on_time, t.slots,
            percentage(t.on_time_rate), t.late, t.missed, t.failed, t.unconfirmed, t.by_worker, t.by_hand, t.confirmed,
            t.to_publish.count, *_hundredths(t.to_publish)]


# The charts and their numbers ----------------------------------------------------------------------------------------

def _table(name: str, report: reports.Report) -> tuple[list[str], list[list]]:
    """The numbers of one chart: its CSV header and rows (the chart draws the same)."""
    if name == "weekly":
        return [_("week"), *(_final_label(s) for s in reports.FINAL)], reports.per_week_table(report)
    if name == "durations":
        return [_("measure"), _("count"), _("counted"), _("median (hours)"), _("90th percentile (hours)")], [
            [_("time in review"), report.review.count, _("review stays ending in a decision"),
             *_hundredths(report.review)],
            [_("time to publish"), report.to_publish.count, _("publications"), *_hundredths(report.to_publish)]]
    if name == "rates":
        slots, published = report.slots, report.published
        return [_("measure"), _("count"), _("out of"), _("rate (%)")], [
            [_("approved"), report.approved, report.decided, percentage(report.approval_rate)],
            *([words, count, slots, percentage(count / slots if slots else None)] for words, count in (
                (_("published on time"), report.on_time), (_("published late"), report.late),
                (_("missed slots"), report.missed), (str(label(State.failed)), report.failed),
                (str(label(State.unconfirmed)), report.unconfirmed))),
            *([words, count, published, percentage(count / published if published else None)] for words, count in (
                (_("published by the publishing worker"), report.by_worker),
                (_("marked as published by hand"), report.by_hand),
                (_("confirmed as published after an unknown outcome"), report.confirmed)))]
    if name == "reasons":  # grouped by the language the comments were read in, named in the reader's
        return [_("language"), _("word"), _("count")], [
            [language_name(language, str(get_locale())), word, count] for language, word, count in report.reasons]
    # Posts sent for review with the rule, as the Social Hub counts them (``approval.queries.findings``).
    return [_("rule"), _("what it asks"), _("posts")], [
        [rule, _(BY_ID[rule].description) if rule in BY_ID else rule, count] for rule, count in report.findings]


#: The rows of the rates' table its chart draws: the approval and how the slots ended (not the publications' shares).
RATES_CHARTED = 6
#: The words of each language the reasons' chart draws, most used first (its CSV has them all): three languages'
#: words, 38 bars in the chart's 260 pixels, piled their labels over each other.
REASONS_CHARTED = 15
#: The fewest uses of a word the reasons' chart draws: a word written once says nothing of what comes back, and
#: most words are (the top 15 were alphabetical ties, which 15 of them arbitrary).
REASONS_LEAST = 2


def _charted_reasons(rows: list[list]) -> list[list]:
    """The rows of the reasons' table (language, word, count: each language's most used first) its chart draws: each
    language's first ``REASONS_CHARTED`` of the words written at least ``REASONS_LEAST`` times."""
    drawn: dict[str, int] = {}
    charted = []
    for row in rows:
        if row[2] < REASONS_LEAST:
            continue
        drawn[row[0]] = drawn.get(row[0], 0) + 1
        if drawn[row[0]] <= REASONS_CHARTED:
            charted.append(row)
    return charted


def _reasons_cut(report: reports.Report) -> list[tuple[str, int]]:
    """Each language whose words written at least twice the reasons' chart does not all draw, named in the reader's
    language, and how many such words it has: the page says so under the chart."""
    words: dict[str, int] = {}
    for language, _word, count in report.reasons:
        if count >= REASONS_LEAST:
            words[language] = words.get(language, 0) + 1
    return [(language_name(language, str(get_locale())), count) for language, count in words.items()
            if count > REASONS_CHARTED]


def _chart_height(name: str, bars: int, phone: bool) -> int:
    """A chart's height in pixels: the reasons' grows with its ``bars``, each one a line of label (the others have
    a few bars, or a bar a week across)."""
    least = 480 if phone else 360
    if name != "reasons":
        return least
    return max(least, (100 if phone else 130) + bars * (20 if phone else 22))


@bp.get("/<any(weekly, durations, rates, reasons, findings, markets, networks):name>.csv")
@roles_required(*MANAGERS)
def chart_csv(name: str):
    shown, report = _report({"markets": "table", "networks": reports.NETWORKS}.get(name, name))
    market = shown.market
    if name == "markets":
        covered = [market] if market else db.session.scalars(
            select(Market).where(market_clause(current_user)).order_by(Market.code)).all()
        header = _totals_header(_("market"))
        rows = [_totals_row(m.code, m.name, report.by_market.get(m.id) or reports.Totals()) for m in covered]
    elif name == "networks":
        header = _totals_header(_("network"))
        rows = [_totals_row(network, network_name(network), totals)
                for network, totals in sorted(report.by_network.items())]
    else:
        header, rows = _table(name, report)
    if name == "weekly":
        # What the chart's labels say of a week the period cuts or that is not over yet ("(so far)", "(3 days)"),
        # in columns of their own: the week's cell stays a date a spreadsheet reads.
        header = [*header, _("days counted"), _("status")]
        statuses = {"over": _("over"), "in progress": _("in progress"), "not started": _("not started")}
        rows = [[*row, span.days, statuses[span.status]] for row, span in zip(rows, report.spans, strict=True)]
    comma = decimal_comma()
    out = io.StringIO()
    writer = _spreadsheet_writer(out, comma)
    writer.writerow(header)
    writer.writerows([_decimal(_cell(cell), comma) for cell in row] for row in rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{_file_name(name, shown)}"'})


def _file_name(name: str, shown: Shown) -> str:
    """A CSV's name: what it holds, its markets, its campaign and its whole period
    ("weekly_FR-KE-PL_2026-10-05_2026-12-06.csv", "rates_FR_campaign-12_2026-11-02_2026-11-15.csv"), so that two
    periods or two selections never share one."""
    if shown.market:
        scope = shown.market.code
    else:
        codes = db.session.scalars(select(Market.code).where(market_clause(current_user)).order_by(Market.code)).all()
        scope = "-".join(codes) if len(codes) <= 6 else f"{len(codes)}-markets"
    if shown.campaign:
        scope = f"{scope}_campaign-{shown.campaign.id}"
    return f"{name}_{scope}_{shown.period.first_day}_{shown.period.last_day}.csv"


def _spreadsheet_writer(out: io.StringIO, comma: bool):  # noqa: ANN202 - csv.writer's type is private
    """A CSV writer on ``out`` as ``labels.decimal_comma`` says: the byte order mark written, cells apart by semicolons
    where decimals take a comma."""
    out.write("\ufeff")
    return csv.writer(out, delimiter=";" if comma else ",")


def _decimal(value: object, comma: bool) -> object:
    return str(value).replace(".", ",") if comma and isinstance(value, float) else value


def _hundredths(durations: reports.Durations) -> list[float | None]:
    """A median and a 90th percentile in hours to the hundredth, as the export and the chart give them."""
    return [None if h is None else round(h, 2) for h in (durations.median_h, durations.p90_h)]


@bp.get("/<any(weekly, durations, rates, reasons, findings):name>.svg")
@roles_required(*MANAGERS)
def chart_svg(name: str):
    _shown, report = _report(name)
    header, rows = _table(name, report)
    no_data = _("No data")
    if name == "reasons":
        rows = _charted_reasons(rows)
        if report.comments_read:
            no_data = _("No word comes back in these comments.")
    phone = request.args.get("size") == "phone"  # the page's <picture> asks for it on a narrow screen
    config = {"style": PHONE_STYLE if phone else STYLE, "js": [], "title": None if phone else _titles()[name],
              "width": 400 if phone else 800, "height": _chart_height(name, len(rows), phone),
              "no_data_text": no_data, "legend_at_bottom": True,
              # Each bar says its value at its end (the page has no script for tooltips; a printed page none at
              # all), a bar of 0 nothing; a stacked week's parts in their middle.
              "print_values": True, "print_zeroes": False,
              "print_values_position": "center" if name == "weekly" else "top",
              # Axis and bar figures in the reader's language: "0,5" in French, not "0.5".
              "value_formatter": format_decimal}
    if name in ("weekly", "reasons", "findings"):  # counts: whole numbers on their axis, no 0.2, 0.4...
        totals = [sum(v or 0 for v in row[1:]) for row in rows] if name == "weekly" else [row[-1] for row in rows]
        config["y_labels"] = _whole_numbers(max(totals, default=0))
    if name == "weekly":
        # A week the period cuts, or not over yet, says so in its label (its bar counts fewer days than a week).
        skeleton = "MMMd" if len({span.week.year for span in report.spans}) <= 1 else "yMMMd"
        labels = [_week_label(span, skeleton) for span in report.spans]
        # Over months, one week's label in every few (a year's 53 piled into a smear), each bar still its own.
        # The legend whole ("declined by the cabinet" was cut), in as many columns as its longest title fits in.
        columns = _legend_columns(header[1:], config["width"], config["style"].legend_font_size)
        chart = pygal.StackedBar(**config, x_label_rotation=45 if phone else 30, truncate_label=-1,
                                 x_labels_major=_major_weeks(report.spans, labels, 6 if phone else 13),
                                 show_minor_x_labels=False, truncate_legend=-1, legend_at_bottom_columns=columns)
        chart.x_labels = labels
        for column, title in enumerate(header[1:], start=1):
            chart.add(title, [row[column] for row in rows])
    elif name == "durations" and phone:
        # Two measures under two bars each: at a phone's width their names were cut to "time in…" / "time to…".
        # Here the bars stand by percentile, and each measure is named whole in a legend of one column.
        chart = pygal.Bar(**config, legend_at_bottom_columns=1, truncate_legend=-1, truncate_label=-1)
        chart.x_labels = [header[3], header[4]]
        if any(row[1] for row in rows):  # no post timed: "No data", not two empty bars at 0
            for row in rows:
                chart.add(str(row[0]), [row[3], row[4]])
    elif name == "durations":
        chart = pygal.Bar(**config)
        chart.x_labels = [row[0] for row in rows]
        if any(row[1] for row in rows):  # no post timed: "No data", not two empty bars at 0
            chart.add(header[3], [row[3] for row in rows])
            chart.add(header[4], [row[4] for row in rows])
    elif name == "rates":  # one bar a measure, named on its axis; a measure with nothing to count draws none
        # Percentages in the reader's language ("100 %" in French), never cut: a phone's axis has five of them
        # (its eleven were cut to "…" for want of room).
        config["value_formatter"] = _percentage
        charted = rows[:RATES_CHARTED]
        chart = pygal.HorizontalBar(**config, range=(0, 100), show_legend=False, truncate_label=-1,
                                    **({"y_labels": [0, 25, 50, 75, 100]} if phone else {}))
        chart.x_labels = [str(row[0]) for row in reversed(charted)]
        chart.add(header[3], [row[3] for row in reversed(charted)])
    else:  # reasons (word, count), findings (rule, what it asks, count): labelled by the last words before the count
        chart = pygal.HorizontalBar(**config, show_legend=False)
        # A finding's bar by the problem it is: by what its rule asks, "Every picture has an alternative text." with
        # a long bar read as many pictures that had one (the CSV keeps what it asks, under that heading).
        labels = [_problem(row[0]) if name == "findings" else str(row[-2]) for row in reversed(rows)]
        if name == "reasons" and len({row[0] for row in rows}) > 1:  # words of several languages: each says its own
            labels = [_("%(word)s (%(language)s)", word=row[1], language=row[0]) for row in reversed(rows)]
        # Cut here: pygal cuts the labels of a horizontal axis only, and these are the vertical one's (the CSV has
        # them whole).
        chart.x_labels = [_cut(label, 24 if phone else 60) for label in labels]
        chart.add(header[-1], [row[-1] for row in reversed(rows)])
    return Response(_without_scripts(chart), mimetype="image/svg+xml")


def _problem(rule: str) -> str:
    """A style rule by the problem its findings are ("Sentences without a full stop"); a market's own list of terms
    (``policy.<name>``) by its id."""
    return _(BY_ID[rule].problem) if rule in BY_ID else rule


def _week_label(span: reports.WeekSpan, skeleton: str = "MMMd") -> str:
    """A week's label on the chart: its Monday as the pages write a date, in the reader's language ("Oct 12",
    "12 oct."; with its year, ``skeleton`` "yMMMd", when the chart's weeks are of several years), and when its bar
    counts fewer than its seven days, why. The CSV keeps the ISO date a spreadsheet reads."""
    week = format_skeleton(skeleton, span.week, locale=get_locale())
    if not span.started:
        return _("%(week)s (not started)", week=week)
    if span.ongoing:
        return _("%(week)s (so far)", week=week)
    if span.partial:
        return ngettext("%(week)s (%(num)s day)", "%(week)s (%(num)s days)", span.days, week=week)
    return week


#: The widest a legend's letter is, for its size (sans-serif): "declined by the cabinet" at 15 px is ~170 px.
LEGEND_EM = 0.6


def _legend_columns(titles: Sequence[str], width: int, font_size: float) -> int:
    """As many legend columns as the longest of ``titles`` fits in, side by side, in a chart ``width`` wide: pygal
    gives each column an equal share of the plot's width and, told not to cut, draws a long title over the next
    ("declined by the cabinet" over "withdrawn" on a phone, in two columns)."""
    needed = max((len(title) for title in titles), default=1) * font_size * LEGEND_EM + 2 * font_size + 10  # + box
    return max(1, min(len(titles), int((width - 80) // needed)))


def _major_weeks(spans: Sequence[reports.WeekSpan], labels: list[str], most: int) -> list[str]:
    """The week labels shown, about ``most`` of them: one in every few, counted back from the last week (the one
    in progress, whose label says so), and the first week's when it is cut."""
    every = max(1, math.ceil(len(labels) / most))
    shown = set(range(len(labels) - 1, -1, -every))
    if spans and spans[0].partial and 0 not in shown:
        shown = {n for n in shown if n > every // 2} | {0}  # not over a neighbour's label
    return [labels[n] for n in sorted(shown)]


def _percentage(value: float | None) -> str:
    """A percentage (0 to 100) in the reader's language: "100%" in English, "100 %" in French; a decimal only when
    it has one ("72.7%")."""
    if value is None:
        return ""
    pattern = get_locale().percent_formats[None].pattern  # the language's own: "#,##0%", "#,##0\u00a0%"...
    if value != int(value):
        last = pattern.rfind("0")
        pattern = pattern[:last + 1] + ".0" + pattern[last + 1:]
    return format_percent(value / 100, format=pattern)


def _cut(label: str, length: int) -> str:
    return label if len(label) <= length else label[:length - 1].rstrip() + "…"


def _whole_numbers(top: int) -> list[int]:
    """Ticks for an axis of counts up to ``top``: whole numbers, about eight of them."""
    step = max(1, math.ceil(top / 8))
    return list(range(0, max(top, 1) + step, step))


def _without_scripts(chart: pygal.graph.graph.Graph) -> bytes:
    """The chart's SVG without pygal's inline configuration script: the picture needs no JavaScript."""
    root = chart.render_tree()
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


# The audit page (admins) -------------------------------------------------------------------------------------------

def _audit_query() -> tuple[Select, dict[str, str], str | None]:
    """The audit rows the filters ask for, the filters as understood, and why a date was not (None: it was)."""
    actor = aliased(User)
    query = (select(AuditEntry.id, AuditEntry.at, AuditEntry.post_id, AuditEntry.action, AuditEntry.from_state,
                    AuditEntry.to_state, AuditEntry.comment, AuditEntry.payload, Market.code, Market.timezone,
                    actor.email, actor.name)
             .join(Post, AuditEntry.post_id == Post.id).join(Account, Post.account_id == Account.id)
             .join(Market, Account.market_id == Market.id).outerjoin(actor, AuditEntry.actor_id == actor.id))
    filters: dict[str, str] = {}
    if market := _asked_market():  # the reports' answer to a market that is none: a 404, never an empty trail
        query = query.where(Market.id == market.id)
        filters["market"] = market.code
    who = request.args.get("actor", "").strip()
    if who:
        if who == "worker":
            query = query.where(AuditEntry.actor_id.is_(None))
        else:
            query = query.where(actor.email == who.lower()[:254])
        filters["actor"] = who[:254]
    action = request.args.get("action", "").strip()
    if action:
        if action not in Action.__members__:
            abort(400)
        query = query.where(AuditEntry.action == Action(action))
        filters["action"] = action
    refused = None
    dates: dict[str, date | None] = {}
    for name in ("from", "to"):  # a date that is none is said on the page, which goes on without it
        try:
            dates[name] = _date(name)
        except BadSelection as bad:
            dates[name], refused = None, bad.message
    start, last = dates["from"], dates["to"]  # UTC days, both included: the trail's times are told in UTC here
    if start and last and start > last:
        refused, start, last = _("The period must start before it ends."), None, None
    if start:
        query = query.where(AuditEntry.at >= datetime.combine(start, datetime.min.time(), tzinfo=UTC))
        filters["from"] = start.isoformat()
    if last:
        query = query.where(AuditEntry.at < datetime.combine(last + timedelta(days=1), datetime.min.time(),
                                                             tzinfo=UTC))
        filters["to"] = last.isoformat()
    return query.order_by(AuditEntry.id.desc()), filters, refused


@bp.get("/audit")
@roles_required(Role.admin)
def audit():
    query, filters, refused = _audit_query()
    before = request.args.get("before", "")
    if before:
        if (before_id := parse_id(before)) is None:
            abort(400)
        query = query.where(AuditEntry.id < before_id)
    rows = db.session.execute(query.limit(AUDIT_PAGE + 1)).all()
    more = len(rows) > AUDIT_PAGE
    rows = rows[:AUDIT_PAGE]
    markets = db.session.scalars(select(Market.code).order_by(Market.code)).all()
    # A schedule's row says the time it chose, as the post's history does (in the market's zone, and the reader's
    # when it reads otherwise), and the wall-clock time it was typed as when that reads otherwise now.
    lines = [HistoryLine(cast(Any, row), zone=row.timezone) for row in rows]
    return render_template("reports/audit.html", rows=zip(rows, lines, strict=True), filters=filters, markets=markets,
                           actions=[a.value for a in Action],
                           refused=refused,
                           next_url=url_for("reports.audit", **filters, before=rows[-1].id) if more else None
                           ), 400 if refused else 200


def _cell(value: object) -> object:
    """A CSV cell a spreadsheet opens as text: what people typed (a comment, a reason) starting with = + - @ would be
    run as a formula (``=HYPERLINK(...)`` sending the sheet's cells away), so it gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _slot_cells(row: Any) -> list[str]:  # noqa: ANN401 - a row of ``_audit_query``
    """The slot a ``schedule`` row chose, in UTC and in its market's time, and that zone, as a spreadsheet reads
    them; nothing for any other row."""
    slot = HistoryLine(row, zone=row.timezone).slot
    if slot is None:
        return ["", "", ""]
    there = slot.astimezone(ZoneInfo(row.timezone))
    return [slot.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), there.strftime("%Y-%m-%d %H:%M"), row.timezone]


@bp.get("/audit.csv")
@roles_required(Role.admin)
def audit_csv():
    query, filters, refused = _audit_query()
    if refused:
        abort(400)
    # In the reader's language, as the charts' exports; the actions and states as the filters and the API name them.
    header = [_("#"), _("time (UTC)"), _("post"), _("market"), _("action"), _("from state"), _("to state"), _("by"),
              _("e-mail"), _("comment"), _("slot (UTC)"), _("slot (market’s time)"), _("market’s time zone")]
    worker = _("the publishing worker")
    comma = decimal_comma()

    def batches() -> Iterator[Sequence[Any]]:
        """The rows, newest first, ``AUDIT_BATCH`` at a time, each batch its own statement after the last id sent:
        the body is sent after the request's transaction has ended, which closed a server-side cursor (PostgreSQL)
        kept open across it."""
        sent, before = 0, None
        while sent < AUDIT_EXPORT_MAX:
            batch = query.limit(min(AUDIT_BATCH, AUDIT_EXPORT_MAX - sent))
            rows = db.session.execute(batch if before is None else batch.where(AuditEntry.id < before)).all()
            if not rows:
                return
            yield rows
            sent, before = sent + len(rows), rows[-1].id

    def generate() -> Iterator[str]:
        out = io.StringIO()
        writer = _spreadsheet_writer(out, comma)
        writer.writerow(header)
        for rows in batches():
            for row in rows:
                # A time a spreadsheet reads as one (it read "2026-12-06T04:13:42.206077Z" as text), in UTC.
                writer.writerow([row.id, row.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), row.post_id,
                                 row.code, row.action.value, row.from_state.value, row.to_state.value,
                                 _cell(row.name) if row.name else worker, _cell(row.email), _cell(row.comment),
                                 *_slot_cells(row)])
            yield out.getvalue()
            out.seek(0)
            out.truncate()
        yield out.getvalue()

    # Named by what was understood (the market's stored code, the dates as ISO days), never by the arguments typed.
    name = "_".join(["audit", *(filters[key] for key in ("market", "from", "to") if key in filters)])
    return _attachment(Response(stream_with_context(generate()), mimetype="text/csv"), f"{name}.csv")
