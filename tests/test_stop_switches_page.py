"""The stop switches page, as the on-call walk and the campaign walk read it: each switch says how many posts it
holds (of those its reader sees), turning one off says how many still wait, and a manager who may not stop a
campaign of every market, or turn off a switch over everything, is told who may (the night a match is lost, "choose
the campaign to stop" said nothing of why the list was empty)."""

from __future__ import annotations

import re

from sqlalchemy import update

from approval import administration as admin
from approval.db import utcnow
from approval.models import Post
from approval.publishing import controls
from approval.workflow.states import Role, State


def _row(page: str, stop_id: int) -> str:
    start = page.index(f'id="stop-{stop_id}"')
    return page[start:page.index("</tr>", start)]


def test_each_switch_says_how_many_of_the_readers_posts_it_holds(make, web, db_session):
    france, kenya = make.market("FR"), make.market("KE", timezone="Africa/Nairobi", languages=("en",))
    ours = [make.post(State.scheduled, account=make.account(france)) for _ in range(2)]
    theirs = make.post(State.scheduled, account=make.account(kenya))
    group = make.user(Role.project_manager, all_markets=True, name="Lucile Tardieu")
    everything = controls.turn_on(db_session, group, "all", reason="Crise.")
    market = controls.turn_on(db_session, group, "market", market_code="FR", reason="Grève.")
    db_session.flush()
    # One of ours was due while the switches were on: the worker marked it held by the first.
    db_session.execute(update(Post).where(Post.id == ours[0].id).values(held_at=utcnow(),
                                                                         held_by_stop_id=everything.id))
    pm = make.user(Role.project_manager, markets=[france], name="Marc Lefèvre")
    web.login(pm)
    page = web.get("/publishing/stops").get_data(as_text=True)
    # Of the posts Marc sees (France's): the switch over everything holds both, not Kenya's third.
    assert re.search(r'class="holds"><a href="/publishing#held">2 posts</a>', _row(page, everything.id))
    assert "2 posts" in _row(page, market.id)
    # Marc may not turn off the switch over everything: the row says who may, instead of an empty cell.
    assert "Turn off" not in _row(page, everything.id)
    assert "An admin or a group-wide project manager turns it off: Lucile Tardieu." in _row(page, everything.id)
    # Turned off, the market's switch held none (the worker marked the first post held by the other): the flash says
    # so; the one over everything, turned off by Lucile, still holds one of Marc's posts.
    done = web.post(f"/publishing/stops/{market.id}/off", {}, follow_redirects=True).get_data(as_text=True)
    # Its other post, not due yet, is still covered by the switch over everything: it does not go out.
    assert ("Stop switch off. It held no post at its time; another switch or an embargo still holds the posts it "
            "covered.") in done
    web.login(group)
    done = web.post(f"/publishing/stops/{everything.id}/off", {}, follow_redirects=True).get_data(as_text=True)
    assert "Stop switch off. 1 post it held stays held until you release it or give it a new time" in done
    assert "1 post" in _row(done, everything.id) and theirs.id


def test_a_manager_of_markets_is_told_who_stops_a_campaign_of_every_market(make, web, db_session):
    france = make.market("FR")
    admin.create_campaign(db_session, "Coupe du monde 2027", None, "#CDM2027")
    make.user(Role.project_manager, all_markets=True, name="Lucile Tardieu")
    web.login(make.user(Role.project_manager, markets=[france]))
    page = web.get("/publishing/stops").get_data(as_text=True)
    assert ("The campaign of every market (Coupe du monde 2027) is stopped by an admin or a group-wide project "
            "manager:") in page and "Lucile Tardieu" in page


def test_a_notification_says_what_a_switch_stopped_and_leads_where_its_reader_can_act(make, web, db_session):
    """A campaign of every market stopped: the notification named no market, so it said nothing of what stopped;
    and a community manager who opened it came back to the list."""
    france = make.market("FR")
    campaign = admin.create_campaign(db_session, "Coupe du monde 2027", None, "#CDM2027")
    group = make.user(Role.project_manager, all_markets=True, name="Lucile Tardieu")
    writer = make.user(Role.community_manager, markets=[france])
    manager = make.user(Role.project_manager, markets=[france])
    on = controls.turn_on(db_session, group, "campaign", campaign_id=campaign.id, reason="Match perdu.")
    everything = controls.turn_on(db_session, group, "all", reason="Crise.")
    db_session.flush()
    for reader, opens in ((writer, "/calendar"), (manager, f"/publishing/stops#stop-{on.id}")):
        web.login(reader)
        page = web.get("/notifications").get_data(as_text=True)
        assert "Campaign “Coupe du monde 2027”" in page and "Every market" in page
        row = page[page.index("Match perdu."[:5]) - 2000:page.index("Match perdu.")]
        link = re.findall(r'href="(/notifications/\d+)"', row)[-1]
        assert web.get(link).headers["Location"].endswith(opens), (reader.role, web.get(link).headers["Location"])
    assert everything.id


def test_a_switch_already_on_is_not_turned_on_twice(make, web, db_session):
    """The campaign walk turned the same market's switch on twice; turning one off then said the posts go out at
    their time while the other still held them. The second is refused and says who turned the first on and why; once
    the first is off, the market may be stopped again."""
    france = make.market("FR")
    make.market("DE", timezone="Europe/Berlin", languages=("de",))
    pm = make.user(Role.project_manager, markets=[france], name="Marc Lefèvre")
    first = controls.turn_on(db_session, pm, "market", market_code="FR", reason="Grève.")
    db_session.commit()
    web.login(pm)
    answer = web.post("/publishing/stops", {"scope": "market", "market": "FR", "reason": "Encore."})
    assert answer.status_code == 422
    assert "This switch is already on (turned on by Marc Lefèvre: “Grève.”)" in answer.get_data(as_text=True)
    assert len(controls.visible_stops(db_session, pm)) == 1
    controls.turn_off(db_session, pm, first.id)
    db_session.commit()
    assert controls.turn_on(db_session, pm, "market", market_code="FR", reason="Encore.").id != first.id
