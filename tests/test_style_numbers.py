"""Whole numbers in the style gate's messages (the product walk: "63206 caractères" on a page that writes "5 000"
elsewhere): written in the reader's language where a page shows them ("63,206" in English, "63 206" in French),
as the gate's decimals already were; the gate's own English (``approval lint``, the JSON's ``message``) unchanged."""

from __future__ import annotations

import json
import re

from approval import style
from approval.style.i18n import render


def test_a_whole_number_in_a_finding_is_written_as_the_reader_s_language_writes_it(app):
    from approval.labels import finding_message

    [length] = [f for f in style.check("Victoire ce soir. " * 3600, style.Context(network="facebook"))
                if f.rule == "network.length"]
    assert length.message.startswith("64800 characters as Facebook counts them: the limit is 63206."), length.message
    stored = json.loads(json.dumps(length.as_dict(translatable=True)))
    spaced = r"[\u00a0\u202f ]"  # French groups thousands with a (narrow) no-break space
    for language, count, limit in (("en", "64,800", "63,206"), ("fr", f"64{spaced}800", f"63{spaced}206")):
        with app.test_request_context(headers={"Accept-Language": language}):
            for said in (finding_message(length), finding_message(stored)):
                assert re.search(count, said) and re.search(limit, said), said


def test_a_broken_translation_still_falls_back_to_english():
    assert render("%(count)d of %(limit)d", {"count": 1200, "limit": 1000}, lambda m: "%(count)d sur %(oops)d",
                  lambda n: f"<{n}>") == "1200 of 1000"
