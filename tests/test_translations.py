"""The French interface: a complete catalogue for what the code marks today, placeholders kept, French typography, a
compiled .mo that matches the .po, and a French user who really reads French.

The completeness test extracts the msgids from the code exactly as ``make translations`` does (same babel.cfg, same
keywords) into a temporary file: a string added to the code without its translation fails it, by name.
"""

from __future__ import annotations

import gettext
import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from approval.workflow.states import Role

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "approval" / "translations"
FRENCH_PO = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
FRENCH_MO = FRENCH_PO.with_suffix(".mo")
#: The Makefile's `translations` target's; babel adds gettext, ngettext, _...
KEYWORDS = ("_l", "lazy_gettext", "N_", "lazy_pgettext:1c,2")

NBSP = "\u00a0"
#: printf-style (%(name)s, %d, %s; "%%" is a literal) and str.format-style ({min}) placeholders.
_PERCENT = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifroxXeEgGc%]")
_BRACES = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def _key(message) -> tuple[str | None, str]:  # noqa: ANN001
    """A message's context (pgettext's, e.g. a French gender) and its id (the singular of a plural)."""
    return message.context, message.id if isinstance(message.id, str) else message.id[0]


def _strings(message) -> tuple[str, ...]:  # noqa: ANN001
    return (message.string,) if isinstance(message.string, str) else tuple(message.string)


def _placeholders(text: str) -> Counter:
    found = Counter(p for p in _PERCENT.findall(text) if p != "%%")
    found.update(_BRACES.findall(text))
    return found


@pytest.fixture(scope="module")
def french():
    with FRENCH_PO.open("rb") as handle:
        return read_po(handle, locale="fr")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory):
    """The msgids the code marks now, extracted as `make translations` extracts them."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    args = ["pybabel", "-q", "extract", "-F", str(TRANSLATIONS / "babel.cfg")]
    for keyword in KEYWORDS:
        args += ["-k", keyword]
    args += ["--project", "approval", "--no-location", "--sort-output", "-o", str(pot), str(ROOT)]
    CommandLineInterface().run(args)
    with pot.open("rb") as handle:
        return read_po(handle)


def test_every_msgid_in_the_code_has_a_french_translation__run_make_translations_then_translate_the_new_ones(
    extracted, french
):
    assert len(extracted) > 100, "the extraction found almost nothing: is babel.cfg still right?"
    assert not french.fuzzy, f"{FRENCH_PO} is marked fuzzy in its header: pybabel compile would skip it"
    missing, fuzzy = [], []
    for message in extracted:
        if not message.id:
            continue
        translated = french.get(message.id, context=message.context)  # "approved" and ("history", "approved") differ
        if translated is None or not all(s.strip() for s in _strings(translated)):
            missing.append(_key(message))
        elif translated.fuzzy:
            fuzzy.append(_key(message))
    problems = [f"  untranslated: {m!r}" for m in missing] + [f"  fuzzy: {m!r}" for m in fuzzy]
    assert not problems, (
        f"{len(missing)} msgid(s) without a French translation and {len(fuzzy)} fuzzy one(s). Run `make translations`,"
        f" translate them in {FRENCH_PO.relative_to(ROOT)} (and clear any fuzzy flag), then run `make translations`"
        " again to compile the .mo:\n" + "\n".join(problems)
    )


def test_every_french_msgstr_keeps_the_placeholders_of_its_msgid(french):
    wrong = []
    for message in french:
        if not message.id:
            continue
        ids = (message.id,) if isinstance(message.id, str) else tuple(message.id)
        for index, string in enumerate(_strings(message)):
            if not string:
                continue
            source = ids[min(index, len(ids) - 1)]
            if _placeholders(string) != _placeholders(source):
                wrong.append(f"  {source!r}\n    -> {string!r}")
    assert not wrong, "these translations lose, add or change a placeholder:\n" + "\n".join(wrong)


def test_french_typography_no_break_spaces_before_high_punctuation_and_inside_guillemets(french):
    """A plain space before : ; ! ? or inside « » breaks the line at the wrong place: French takes U+00A0 there."""
    plain = re.compile(r" [:;!?]|« | »")
    wrong = [
        f"  {_key(message)!r}\n    -> {string!r}"
        for message in french if message.id
        for string in _strings(message)
        if plain.search(string)
    ]
    assert not wrong, "use a no-break space (U+00A0) in:\n" + "\n".join(wrong)


def test_the_compiled_french_catalogue_matches_the_po__run_make_translations(french):
    assert FRENCH_MO.exists(), f"{FRENCH_MO.relative_to(ROOT)} is missing: run `make translations`"
    with FRENCH_MO.open("rb") as handle:
        compiled = {_key(m): _strings(m) for m in read_mo(handle) if m.id}
    stale = [
        f"  {_key(message)!r}"
        for message in french
        if message.id and not message.fuzzy and all(_strings(message))
        and compiled.get(_key(message)) != _strings(message)
    ]
    assert not stale, (f"{FRENCH_MO.relative_to(ROOT)} is older than the .po: run `make translations`:\n"
                       + "\n".join(stale))
    with FRENCH_MO.open("rb") as handle:
        translations = gettext.GNUTranslations(handle)
    assert translations.gettext("A sentence starts with a capital letter.") == "Une phrase commence par une majuscule."


def test_a_user_who_chooses_french_reads_the_review_queue_and_the_style_gate_in_french(make, web):
    market = make.market("FR")
    manager = make.user(Role.project_manager, markets=[market])
    make.post("in_review", account=make.account(market))
    web.login(manager)

    chosen = web.post("/language", {"language": "fr", "next": "/review"})
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/review"

    page = web.get("/review").get_data(as_text=True)
    assert '<html lang="fr">' in page
    for french_text in ("En attente de votre relecture", "Approuvées, à programmer", "Rien à programmer.",
                        "Prochaines publications", "Se déconnecter", "En attente depuis"):
        assert french_text in page, f"{french_text!r} is not on the French review queue"
    for english_text in ("Awaiting your review", "Nothing to schedule.", "Log out"):
        assert english_text not in page

    # The style gate's messages (marked N_ in approval/style) reach the writer in French too.
    checked = web.post("/posts/check", {"body": "bonjour à tous", "account_id": ""}).get_json()
    messages = [finding["message"] for finding in checked["findings"]]
    assert "Une phrase commence par une majuscule." in messages
    assert "Une phrase se termine par un point." in messages

    # The choice is the user's: it survives a new session.
    web.client.post("/logout", data={"csrf_token": web.token})
    web.login(manager)
    assert "En attente de votre relecture" in web.get("/review").get_data(as_text=True)


def test_french_filters_agree_with_their_nouns_gender(make, web):
    """« Tous » for a market, a network, an account, an author (masculine); « Toutes » for a campaign."""
    market = make.market("FR")
    web.login(make.user(Role.project_manager, markets=[market]))
    web.post("/language", {"language": "fr", "next": "/posts"})
    page = web.get("/posts").get_data(as_text=True)
    assert '<select name="network"><option value="">Tous</option>' in page
    assert '<select name="campaign_id"><option value="">Toutes</option>' in page
