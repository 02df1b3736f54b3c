"""Two people editing one post: one wins, the other gets a clear conflict, and no edit is lost silently."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from approval import administration as admin
from approval import operations as ops
from approval.db import make_engine
from approval.models import Post, Revision, User
from approval.workflow.errors import Stale
from approval.workflow.states import Role, State


def test_second_save_gets_the_conflict_with_the_newer_text(make, web, db_session):
    market = make.market("FR")
    post = make.post(State.in_review, account=make.account(market), body="Texte d'origine.")
    first = make.user(Role.community_manager, markets=[market], name="Camille")
    second = make.user(Role.project_manager, markets=[market], name="Lucile")
    version_seen_by_both = post.version

    web.login(first)
    response = web.post(f"/posts/{post.id}/edit", {"body": "Texte de Camille.", "version": version_seen_by_both})
    assert response.status_code == 302

    web.login(second)
    response = web.post(f"/posts/{post.id}/edit", {"body": "Texte de Lucile.", "version": version_seen_by_both})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone saved this post while you were editing it" in page
    assert "Texte de Camille." in page  # the newer text is shown
    assert "Texte de Lucile." in page  # and theirs is still in the editor

    db_session.expire_all()
    bodies = db_session.scalars(select(Revision.body).where(Revision.post_id == post.id)).all()
    assert "Texte de Lucile." not in bodies
    assert db_session.get(Post, post.id).body == "Texte de Camille."


def test_stale_button_is_refused_with_a_reload_message(make, web, db_session):
    market = make.market("FR")
    post = make.post(State.in_review, account=make.account(market))
    pm = make.user(Role.project_manager, markets=[market])
    old_version = post.version
    make.act(post, "request_changes", make.user(Role.project_manager, markets=[market]), comment="Plus court.")
    web.login(pm)
    response = web.post(f"/posts/{post.id}/actions/approve", {"version": old_version})
    assert response.status_code == 409
    assert "reload" in response.get_data(as_text=True)
    db_session.refresh(post)
    assert post.state is State.changes_requested


@pytest.fixture()
def committed_database(backend, databases):
    """A database of its own, committed for real: concurrency needs two connections, not one rolled-back one."""
    url = databases.migrated_url(backend)
    engine = make_engine(url)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def test_two_simultaneous_saves_one_wins_one_conflicts(committed_database):
    Session_ = committed_database
    with Session_() as session:
        market = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        account = admin.create_account(session, market, "x", "helio_fr")
        writers = [admin.create_user(session, f"w{i}@helio.example", f"Writer {i}", Role.community_manager, "password1",
                                     markets=[market]) for i in range(2)]
        post = ops.create_post(session, writers[0], account, "Première version.")
        session.commit()
        post_id, version, writer_ids = post.id, post.version, [w.id for w in writers]

    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def save(index: int) -> None:
        session: Session = Session_()
        try:
            barrier.wait(timeout=10)
            user = session.get(User, writer_ids[index])
            target = ops.load_post(session, user, post_id, for_update=True)
            ops.edit_post(session, target, user, f"Version de l'auteur {index}.", expected_version=version)
            session.commit()
            outcomes[index] = "saved"
        except (Stale, StaleDataError):
            session.rollback()
            outcomes[index] = "conflict"
        except Exception as error:  # noqa: BLE001 - any other outcome is the failure this test looks for
            session.rollback()
            outcomes[index] = f"error: {type(error).__name__}: {error}"
        finally:
            session.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["conflict", "saved"], outcomes

    with Session_() as session:
        winner = next(i for i, outcome in outcomes.items() if outcome == "saved")
        post = session.get(Post, post_id)
        assert post.body == f"Version de l'auteur {winner}."
        assert [r.number for r in post.revisions] == [1, 2]
