"""A missed slot's reason is read by everyone who sees the post, community managers included: it names no command.
The trail's older rows, which name the reason by the id it had, still read in the reader's language."""

from __future__ import annotations

from flask_babel import force_locale, gettext

from approval.publishing import reasons


def test_a_missed_slot_says_why_without_a_command_name_and_older_rows_still_translate(app):
    with app.test_request_context(), force_locale("fr"):
        said = reasons.text([reasons.reason(reasons.MISSED_UNSENT)], gettext)
        before = reasons.text([reasons.reason(reasons.MISSED_UNSENT_UNTIL_2026_12)], gettext)
    assert "approval worker" not in reasons.text([reasons.reason(reasons.MISSED_UNSENT)])
    assert said.startswith("Aucun processus de publication ne l’a envoyée") and "approval worker" not in said
    assert before.startswith("Aucun processus de publication ne l’a envoyée")
