"""The style findings that the wall and the reports count: one definition for both (the wall's "Style findings this
week" and the reports' "Most frequent style findings" disagreed for one week and market).

What counts is what was put before a reviewer: the text of each submission, and of each edit that sends a post back
to review or keeps it there (an audit row into ``in_review``, naming the revision it sent). A draft's findings are
its writer's: a draft saved with a problem, fixed seconds later and then sent was never read by anyone (the editor
showed it, and it was fixed). What reached a reviewer counts even once fixed at their request: it cost a round of
review. A rule counts once per post, however often the post was sent with it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import JSON, ColumnElement, Select, String, Text, case, cast, false, func, literal_column, select, true
from sqlalchemy.orm import Session

from approval.models import AuditEntry, Revision
from approval.workflow.states import Action, State

#: What puts a text before a reviewer: a submission, or an edit that sends the post (back) to review or keeps it
#: there (the ``to_state`` of its audit row says which; an edit of a draft does not). An edit of the proposed time
#: alone (``engine.propose``: ``proposal_only`` in its payload) sends no text.
SENT_FOR_REVIEW = (Action.submit, Action.edit)


def sent_with_findings(query: Select) -> Select:
    """``query``, a SELECT from ``AuditEntry``, narrowed to the rows that put a text with findings before a reviewer
    and joined to that text (``Revision``): the many texts without findings are left out before they are read."""
    return (query.join(Revision, Revision.id == AuditEntry.revision_id)
            .where(AuditEntry.action.in_(SENT_FOR_REVIEW), AuditEntry.to_state == State.in_review,
                   cast(Revision.findings, Text) != "[]",
                   ~func.coalesce(AuditEntry.payload["proposal_only"].as_boolean(), false())))


def rules_of(findings: Iterable[Mapping[str, Any]] | None) -> set[str]:
    """The rules of a revision's findings, each once (a rule found twice in one text is one problem)."""
    return {str(finding["rule"]) for finding in findings or () if finding.get("rule")}


def most_found(posts: Mapping[str, Collection[int]], top: int) -> list[tuple[str, int]]:
    """The ``top`` rules found in the most posts, and in how many: the most first, then by rule."""
    return sorted(((rule, len(ids)) for rule, ids in posts.items() if ids), key=lambda pair: (-pair[1], pair[0]))[:top]


def most_found_in(session: Session, sent: Select, top: int) -> list[tuple[str, int]]:
    """``most_found`` counted by the database: ``sent``, a SELECT of ``(post id, findings)`` rows
    (``sent_with_findings``), however many, each text's findings spread into rows and the posts counted per rule, a
    rule once per post. The wall reads its few figures; the reports, which keep each day's sets, count alike."""
    rows = sent.subquery()
    post_id, findings = rows.c
    rule: ColumnElement[str]
    by_rule: ColumnElement[str]
    # A text's findings, a list (one that is not reads as none, as ``rules_of`` reads None): each in a row of its own.
    if session.get_bind().dialect.name == "postgresql":
        listed = case((func.json_typeof(findings) == "array", findings), else_=cast(literal_column("'[]'"), JSON))
        each = func.json_array_elements(listed).table_valued("value").lateral()
        rule = each.c.value.op("->>", return_type=Text)("rule")  # NULL for a finding that is no object
        by_rule = rule.collate("C")  # as Python orders the rules (``most_found``), not as the locale does
    else:
        listed = case((func.json_type(findings) == "array", findings), else_=literal_column("'[]'"))
        each = func.json_each(listed).table_valued("key")
        # Read through the list and the finding's place in it: NULL for a finding that is no object.
        rule = cast(func.json_extract(listed, "$[" + cast(each.c.key, String) + "].rule"), String)
        by_rule = rule  # SQLite compares text by its bytes: as Python does
    posts = func.count(post_id.distinct())
    counted = (select(rule.label("rule"), posts.label("posts")).select_from(rows).join(each, true())
               .where(rule.is_not(None), rule != "").group_by(rule)
               .order_by(posts.desc(), by_rule).limit(top))
    return [(str(found), n) for found, n in session.execute(counted)]
