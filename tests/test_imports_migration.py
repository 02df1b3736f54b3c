"""0040 names each imported post by its import (``imported_posts``) instead of the range of ids between an import's
first and last post: an import made before keeps the posts its page listed (its writer's, in its range), its
downgrade the range. SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text

from approval.db import make_engine
from approval.migrate import downgrade, upgrade

from test_migrations import _insert_desk, _insert_draft


def test_0040_names_the_posts_of_each_import_and_its_downgrade_the_range(databases, backend):
    url = databases.new_url(backend)
    upgrade(url, "0039")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            run = lambda sql, **values: connection.execute(text(sql), values)  # noqa: E731
            _market, account, writer = _insert_desk(connection, ("FR",), "FR")
            run("INSERT INTO users (email, name, role, password_hash, all_markets, active, created_at, session_epoch) "
                "VALUES ('cm@helio.example', 'Camille', 'community_manager', 'x', :yes, :yes, CURRENT_TIMESTAMP, 0)",
                yes=True)
            other = connection.scalar(text("SELECT id FROM users WHERE email = 'cm@helio.example'"))
            # Import 1 made posts 1 and 3; post 2, in its range, is another writer's. Import 2 made post 4. Imports
            # 3 and 4 ran at once (PostgreSQL's ids interleave): 4's range, 7 to 9, is inside 3's, 6 to 10.
            for post_id, author in ((1, writer), (2, other), (3, writer), (4, writer), (5, writer),
                                    *((n, writer) for n in range(6, 11))):
                _insert_draft(connection, post_id, account, author)
            for import_id, first, last in ((1, 1, 3), (2, 4, 4), (3, 6, 10), (4, 7, 9)):
                run("INSERT INTO post_imports (id, created_by_id, key, created_at, first_post_id, last_post_id, "
                    "submitted, post_count) VALUES (:id, :user, :key, CURRENT_TIMESTAMP, :first, :last, :no, 1)",
                    id=import_id, user=writer, key=str(import_id) * 64, first=first, last=last, no=False)
        upgrade(url, "0040")
        with engine.connect() as connection:
            named = connection.execute(text("SELECT import_id, post_id, file_row FROM imported_posts ORDER BY post_id"))
            assert named.all() == [(1, 1, None), (1, 3, None), (2, 4, None), (3, 6, None), (4, 7, None),
                                   (4, 8, None), (4, 9, None), (3, 10, None)]
            assert "first_post_id" not in connection.execute(text("SELECT * FROM post_imports")).keys()
        engine.dispose()
        downgrade(url, "0039")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id, first_post_id, last_post_id FROM post_imports ORDER BY id")
                                      ).all() == [(1, 1, 3), (2, 4, 4), (3, 6, 10), (4, 7, 9)]
    finally:
        engine.dispose()
