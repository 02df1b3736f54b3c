"""Notifications (issue 12): who is told what (``dispatch``), the mail and chat outboxes and their senders
(``mailer``, ``chat``), the review reminders (``reminders``), the user's list (``inbox``) and ``approval notify``.

Everything a change tells is written in that change's transaction by ``dispatch``; the senders run after the commit.
"""
