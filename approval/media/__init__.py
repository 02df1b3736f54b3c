"""Pictures and videos on posts (issue 11): stored content-addressed behind a small interface (``storage``), read
by libraries (``inspect``), received as streams (``intake``), attached to revisions through the one path that writes
revisions (``attach`` -> ``operations.edit_post``), described to connectors (``publication``) and shown as each
network shows a post (``previews``). The networks' rules for media live in the style gate (``approval.style.media``).
"""
