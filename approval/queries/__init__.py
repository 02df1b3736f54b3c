"""The read side: lists, the review queue, the calendar and the wall, shared by the pages, the API and the feeds.

Commands (``approval.operations``) write and flush; these only read. Every list is bounded and paged by keyset
(``approval.queries.paging``), never by OFFSET, so a page at a million posts costs what it costs at a thousand.
"""
