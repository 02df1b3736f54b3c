// The Social Hub wall, live: a Server-Sent Events stream sends the whole wall again each time something changed;
// it replaces the wall in one step (no reload, no flicker). When the stream breaks, a banner says since when, under
// the clocks and the time of the last update, which stay in view; the browser retries by itself; a revoked kiosk
// link blanks the wall and stops retrying. Clocks, ages and "in 3 hr." tick here, stream or no stream, and the
// wall's own times are shown in the screen's zone. A list longer than its panel shows the posts that fit whole, the
// next ones by their first line, and "+N more" for the others.
(function () {
  "use strict";
  var wall = document.getElementById("wall");
  var banner = document.getElementById("connection");
  var news = document.getElementById("wall-news");
  if (!wall || !window.EventSource) { return; }
  var locale = wall.dataset.locale || undefined;
  var lostTimer = null;
  var lostSince = null;  // when the stream broke (the data is as old as the last update before it)

  // How far an instant is from now, as the server writes it (Babel's format_timedelta, granularity minute,
  // threshold 1.1): the largest unit of at least 1.1, rounded half to even; "in 3 hr.", "12 min".
  var UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600],
               ["minute", 60]];

  function roundHalfEven(value) {
    var floor = Math.floor(value);
    var rest = value - floor;
    if (Math.abs(rest - 0.5) < 1e-9) { return floor % 2 === 0 ? floor : floor + 1; }
    return Math.round(value);
  }

  function largestUnit(seconds) {
    var size = Math.abs(seconds);
    for (var i = 0; i < UNITS.length; i++) {
      var value = size / UNITS[i][1];
      if (value >= 1.1 || i === UNITS.length - 1) {
        if (i === UNITS.length - 1 && value > 0) { value = Math.max(1, value); }
        return {value: roundHalfEven(value), unit: UNITS[i][0]};
      }
    }
    return {value: 0, unit: "minute"};
  }

  function relative(seconds) {  // "in 3 hr.", "12 min. ago"
    var found = largestUnit(seconds);
    return new Intl.RelativeTimeFormat(locale, {style: "short", numeric: "always"})
      .format(seconds < 0 ? -found.value : found.value, found.unit);
  }

  function fromNow(seconds) {  // a post's time, as the server writes it: "in 3 hr." ahead, "12 min" behind (an age)
    return seconds > 0 ? relative(seconds) : duration(-seconds);
  }

  function duration(seconds) {  // "12 min"
    var found = largestUnit(seconds);
    return new Intl.NumberFormat(locale, {style: "unit", unit: found.unit, unitDisplay: "short"}).format(found.value);
  }

  // The viewer's own zone (their pages' zone: the server knows it for a signed-in viewer), else the screen's (a
  // kiosk: the room's): the wall's own times are told in it, as its last update is.
  var viewerZone = wall.dataset.zone || undefined;

  function clock(at, zone) {  // "22:31", in the viewer's zone
    return new Intl.DateTimeFormat(locale, {hour: "2-digit", minute: "2-digit", hour12: false,
      timeZone: zone || viewerZone}).format(at);
  }

  // Minutes east of UTC of a zone (the screen's without one) at an instant.
  function offsetIn(at, zone) {
    if (!zone) { return -at.getTimezoneOffset(); }
    var parts = {};
    new Intl.DateTimeFormat("en-US", {timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric",
      day: "numeric", hour: "numeric", minute: "numeric"}).formatToParts(at)
      .forEach(function (part) { parts[part.type] = part.value; });
    var there = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute);
    return Math.round((there - Math.floor(at.getTime() / 60000) * 60000) / 60000);
  }

  function dayIn(at, zone) {  // the date a zone's clocks read at an instant
    return new Intl.DateTimeFormat("en-US", {timeZone: zone, year: "numeric", month: "numeric", day: "numeric"})
      .format(at);
  }

  // A zone at an instant (the screen's without one), as the server writes a market's: "UTC+1", "UTC+5:30", "UTC−4"
  // (a browser's "GMT+1", or "UTC+1" in French, beside the server's "CET" named one zone two ways).
  function zoneName(at, zone) {
    var minutes = offsetIn(at, zone);
    if (!minutes) { return "UTC"; }
    var size = Math.abs(minutes), rest = size % 60;
    return "UTC" + (minutes > 0 ? "+" : "\u2212") + Math.floor(size / 60) + (rest ? ":" + (rest < 10 ? "0" : "") + rest : "");
  }

  function showLost() {
    showBanner(banner.dataset.lost.replace("{time}", clock(lostSince || new Date())));
    tick();
  }

  function showBanner(text, revoked) {
    document.body.dataset.connection = revoked ? "revoked" : "lost";
    banner.textContent = text;
    banner.hidden = false;
    banner.classList.toggle("revoked", !!revoked);
    document.body.classList.add("stale");
  }

  function hideBanner() {
    document.body.dataset.connection = "open";
    banner.hidden = true;
    lostSince = null;
    document.body.classList.remove("stale");
  }

  // The wall's counts, by the heading that shows each ("Awaiting review" 5, "Needs attention" 2): a screen reader is
  // told those that changed, not the whole wall again.
  function counts() {
    var found = {};
    Array.prototype.forEach.call(wall.querySelectorAll(".panel h2"), function (heading) {
      var count = heading.querySelector(".count");
      if (!count) { return; }
      var name = Array.prototype.filter.call(heading.childNodes, function (node) { return node !== count; })
        .map(function (node) { return node.textContent; }).join("").trim();
      found[name] = count.textContent.trim();
    });
    return found;
  }

  function announce(before, after) {
    if (!news) { return; }
    var separator = news.dataset.separator || ": ";
    var changed = Object.keys(after).filter(function (name) { return before[name] !== after[name]; })
      .map(function (name) { return name + separator + after[name]; });
    if (changed.length) { news.textContent = changed.join(". "); }
  }

  // "+3 more": the posts of a list not shown, in the page's language (its plural rules choose the form).
  var plurals = window.Intl && Intl.PluralRules ? new Intl.PluralRules(locale) : null;
  function moreText(n) {
    var form = plurals && plurals.select(n) === "one" ? wall.dataset.moreOne : wall.dataset.moreOther;
    return (form || "+{n}").replace("{n}", n);
  }

  // Each list shows the posts that fit whole in its panel, then the next ones by their first line alone (who, when,
  // why: a panel half empty under one post and "+6" said less than it had room for), then "+N more" for the rest,
  // counting those the server did not send (the list's data-total); a post cut in half by the panel's edge read as a
  // broken screen. Its first post always shows, at least its first line (a "+2" alone, under "Needs attention", said
  // nothing of what to handle).
  // "+25 markets with nothing pending", "+3 more markets": a fold row's words (its data-<kind>-one/-other).
  function foldText(row, kind, n) {
    var form = plurals && plurals.select(n) === "one" ? row.dataset[kind + "One"] : row.dataset[kind + "Other"];
    return (form || "+{n}").replace("{n}", n);
  }

  // A table's rows and its fold row, every row shown again.
  function unfolded(table) {
    var fold = table && table.querySelector("tr.fold");
    if (!fold) { return null; }
    var rows = Array.prototype.filter.call(table.tBodies[0].rows, function (row) { return row !== fold; });
    rows.forEach(function (row) { row.hidden = false; });
    fold.hidden = true;
    return {rows: rows, fold: fold};
  }

  // Its rows with nothing pending (all zeros) folded into one line: how many.
  function foldIdle(found) {
    var idle = found.rows.filter(function (row) { return row.classList.contains("idle"); });
    if (idle.length) {
      idle.forEach(function (row) { row.hidden = true; });
      found.fold.hidden = false;
      found.fold.cells[0].textContent = foldText(found.fold, "idle", idle.length);
    }
    return idle.length;
  }

  // The counts: both tables as large as their column holds (the largest type, 1.35 rem, where it has room), never
  // under the body's type (40 px at 1080p, what a reader five metres away needs: 28 markets took them to 8.6 px).
  // Where they do not fit so: the markets with nothing pending fold into one line, then the networks with nothing
  // pending, the networks' type gives way to the body's, then the markets', then the last markets (the least
  // urgent: the server sends the rows the most urgent first) fold too. Whether a market with something pending is
  // folded.
  function fitCounts(counts, scrolls) {
    var markets = counts.querySelector("table.markets"), networks = counts.querySelector("table.networks");
    var found = unfolded(markets), byNetwork = unfolded(networks);
    if (!found) { return false; }
    var rows = found.rows, fold = found.fold;
    counts.style.setProperty("--rows", counts.dataset.rows);
    counts.style.removeProperty("--counts-size");
    counts.style.removeProperty("--network-size");
    if (scrolls) { return false; }  // a phone scrolls: every row shows
    var over = function () { return counts.scrollHeight > counts.clientHeight + 1; };
    var least = parseFloat(getComputedStyle(document.documentElement).fontSize);
    var shrink = function (table, property) {
      if (!table) { return; }
      var size = parseFloat(getComputedStyle(table).fontSize);
      while (over() && size > least) {
        size = Math.max(least, size * 0.95);
        counts.style.setProperty(property, size + "px");
      }
    };
    var largest = parseFloat(getComputedStyle(document.documentElement).fontSize) * 1.35;
    counts.style.setProperty("--counts-size", largest + "px");
    if (!over()) { return false; }
    var folded = foldIdle(found);
    if (byNetwork && over()) { foldIdle(byNetwork); }
    shrink(networks, "--network-size");
    shrink(markets, "--counts-size");
    var shown = rows.filter(function (row) { return !row.hidden; });
    while (over() && shown.length) {
      shown.pop().hidden = true;
      folded += 1;
      fold.hidden = false;
      fold.cells[0].textContent = foldText(fold, "more", folded);
    }
    return rows.some(function (row) { return row.hidden && !row.classList.contains("idle"); });
  }

  // The markets' clocks on the head line, beside the title. Where they do not all fit there (the type of a big
  // screen, the way back to the pages, a campaign's name in the title: three clocks of six showed at 1440 pixels,
  // none with a campaign), they take a line of their own under it, the screen's whole width; only those that line
  // has no room for either (the last: the least urgent markets) make "+22".
  function fitClocks(scrolls) {
    var list = wall.querySelector(".clocks");
    var more = list && list.querySelector("li.more");
    if (!more) { return; }
    var head = list.parentNode;
    var clocks = Array.prototype.filter.call(list.children, function (item) { return item !== more; });
    clocks.forEach(function (item) { item.hidden = false; });
    more.hidden = true;
    head.classList.remove("clocks-below");
    if (scrolls) { return; }  // a phone's clocks wrap on lines of their own (static/hub.css)
    var over = function () { return list.scrollWidth > list.clientWidth + 1; };
    if (clocks.length && over()) { head.classList.add("clocks-below"); }
    var hidden = 0;
    while (over() && hidden < clocks.length) {
      hidden += 1;
      clocks[clocks.length - hidden].hidden = true;
      more.hidden = false;
      more.textContent = "+" + hidden;
    }
  }

  function fit() {
    // A phone scrolls the wall (static/hub.css): every post shows.
    var scrolls = getComputedStyle(document.body).overflowY !== "hidden";
    fitClocks(scrolls);
    Array.prototype.forEach.call(wall.querySelectorAll(".panel.counts[data-rows]"), function (counts) {
      // The week's style findings under the counts give way to them: where a market with something pending would
      // fold for them, they go (a wall never scrolls: under the lists they were below the screen's edge).
      var findings = counts.parentNode.querySelector(".panel.findings");
      if (findings) { findings.hidden = false; }
      if (fitCounts(counts, scrolls) && findings) {
        findings.hidden = true;
        fitCounts(counts, scrolls);
      }
    });
    // Every post back, whole, before anything is measured.
    var lists = Array.prototype.map.call(wall.querySelectorAll(".panel > ol"), function (list) {
      return {list: list, items: Array.prototype.filter.call(list.children, function (item) {
        if (item.classList.contains("more")) { list.removeChild(item); return false; }
        item.hidden = false;
        item.classList.remove("brief", "tight");
        return true;
      })};
    });
    // Two lists in a column: the one whose posts all fit in its half takes what it needs, where the other has more
    // than its half holds.
    Array.prototype.forEach.call(wall.querySelectorAll(".stack"), function (stack) {
      var panels = Array.prototype.filter.call(stack.children, function (child) {
        child.classList.remove("snug");
        return child.classList.contains("panel");
      });
      if (scrolls || panels.length !== 2) { return; }
      var whole = panels.map(function (panel) { return panel.scrollHeight <= panel.clientHeight + 1; });
      if (whole[0] !== whole[1]) { panels[whole[0] ? 0 : 1].classList.add("snug"); }
    });
    lists.forEach(function (found) {
      var list = found.list, items = found.items;
      var panel = list.parentNode;
      if (!panel.offsetParent) { return; }  // a panel not shown
      var unsent = Math.max(0, (parseInt(list.dataset.total, 10) || 0) - items.length);
      var more = document.createElement("li");
      more.className = "more";
      if (scrolls) {  // every post sent shows; those not sent are counted
        if (unsent) { more.textContent = moreText(unsent); list.appendChild(more); }
        return;
      }
      var style = getComputedStyle(panel);
      var bottom = panel.getBoundingClientRect().bottom - parseFloat(style.paddingBottom);
      var fits = function (item) { return item.getBoundingClientRect().bottom <= bottom + 1; };
      var whole = items.length;
      while (whole > 1 && !fits(items[whole - 1])) { whole -= 1; }
      var shown = items.length;
      if (whole < items.length) {
        items.slice(whole).forEach(function (item) { item.classList.add("brief"); });
        while (shown > whole && !fits(items[shown - 1])) { shown -= 1; }
      }
      if (shown === items.length && !unsent) { return; }
      list.appendChild(more);
      // Room for "+N more": the last post shown gives way to its first line, then goes; the first post alone gives
      // its text, then why it needs attention (the count, and who, are what a room reads first).
      for (;;) {
        items.forEach(function (item, index) { item.hidden = index >= shown; });
        more.textContent = moreText(items.length - shown + unsent);
        if (fits(more)) { break; }
        var last = items[shown - 1];
        if (shown > 1 && !last.classList.contains("brief")) {
          last.classList.add("brief");
        } else if (shown > 1) {
          last.classList.remove("brief");
          shown -= 1;
        } else if (!last.classList.contains("tight")) {
          last.classList.add("tight");
        } else if (!last.classList.contains("brief")) {
          last.classList.add("brief");
        } else {
          break;
        }
      }
    });
  }

  function tick() {
    var now = new Date();
    Array.prototype.forEach.call(wall.querySelectorAll(".clock[data-zone]"), function (clock) {
      try {
        clock.textContent = new Intl.DateTimeFormat(locale, {hour: "2-digit", minute: "2-digit", hour12: false,
          timeZone: clock.dataset.zone}).format(now);
      } catch (ignored) { /* an unknown zone: keep the server's time */ }
    });
    // Times of the wall itself (its last change, a stop switch over several markets): the viewer's zone (data-zone),
    // else the screen's own, that of the room it stands in (a kiosk's: the server wrote them in UTC for a browser
    // without scripts). Beside a market's time (data-besides), shown only where it reads otherwise.
    Array.prototype.forEach.call(wall.querySelectorAll("time.local[datetime]"), function (time) {
      var at = new Date(time.getAttribute("datetime"));
      if (isNaN(at)) { return; }
      var zone = time.dataset.zone || undefined;
      try {
        // With the zone's offset: beside the markets' own clocks, "Updated 13:55" read as one of theirs.
        var options = {hour: "2-digit", minute: "2-digit", hour12: false, timeZone: zone};
        if (dayIn(at, zone) !== dayIn(now, zone)) { options.day = "numeric"; options.month = "short"; }
        time.textContent = new Intl.DateTimeFormat(locale, options).format(at) + " " + zoneName(at, zone);
        var besides = time.parentNode.dataset ? time.parentNode.dataset.besides : null;
        if (besides) { time.parentNode.hidden = offsetIn(at, zone) === offsetIn(at, besides); }
      } catch (ignored) { /* an unknown zone: keep the server's time */ }
    });
    // How long each post has waited, and how far each time is from now: they go on while the stream is down.
    Array.prototype.forEach.call(wall.querySelectorAll(".age-row[data-since]"), function (row) {
      var since = Date.parse(row.dataset.since);
      if (isNaN(since)) { return; }
      var seconds = (now - since) / 1000;
      row.classList.toggle("red", seconds >= +row.dataset.red);
      row.classList.toggle("amber", seconds >= +row.dataset.amber && seconds < +row.dataset.red);
      var age = row.querySelector(".age");
      if (age) { age.textContent = duration(seconds); }
    });
    Array.prototype.forEach.call(wall.querySelectorAll("[data-at] > .rel"), function (rel) {
      var at = Date.parse(rel.parentNode.dataset.at);
      if (!isNaN(at)) { rel.textContent = fromNow((at - now) / 1000); }
    });
    // Stale: how old the wall's data is, beside the time of its last update.
    var updated = wall.querySelector(".updated time[datetime]");
    var staleAge = wall.querySelector(".updated .stale-age");
    if (updated && staleAge) {
      var at = Date.parse(updated.getAttribute("datetime"));
      staleAge.textContent = lostSince && !isNaN(at) ? " · " + relative((at - now) / 1000) : "";
    }
  }

  // The page again, once it answers: a reload onto a server still down (or a proxy's error page) would leave the
  // screen on the browser's error page, with nothing left to retry.
  function reloadWhenBack() {
    fetch(window.location.href, {cache: "no-store", credentials: "same-origin"}).then(function (response) {
      if (response.ok) { window.location.reload(); return; }
      if (response.status === 404) {  // the link is gone (revoked, deleted): say so, stop asking
        wall.innerHTML = "";
        showBanner(banner.dataset.revoked, true);
        return;
      }
      setTimeout(reloadWhenBack, 10000);
    }, function () { setTimeout(reloadWhenBack, 10000); });
  }

  var url = wall.dataset.stream;
  url += (url.indexOf("?") < 0 ? "?" : "&") + "since=" + encodeURIComponent(wall.dataset.digest);
  var source = new EventSource(url);
  source.addEventListener("open", function () {
    if (lostTimer) { clearTimeout(lostTimer); lostTimer = null; }
    hideBanner();
    tick();
  });
  source.addEventListener("wall", function (event) {
    var before = counts();
    wall.innerHTML = event.data;
    announce(before, counts());
    wall.dataset.digest = event.lastEventId;
    hideBanner();
    tick();
    fit();
  });
  source.addEventListener("revoked", function (event) {
    source.close();
    wall.innerHTML = "";
    showBanner(event.data === "ended" ? banner.dataset.ended : banner.dataset.revoked, true);
  });
  source.addEventListener("error", function () {
    if (!lostSince) { lostSince = new Date(); }
    if (source.readyState === EventSource.CLOSED && !banner.classList.contains("revoked")) {
      // The server refused the stream (the link is gone, or the server answers an error): retry from scratch.
      showLost();
      setTimeout(reloadWhenBack, 10000);
      return;
    }
    // A short blip reconnects at once: say so only if it lasts.
    if (!lostTimer) {
      lostTimer = setTimeout(function () { lostTimer = null; if (lostSince) { showLost(); } }, 1500);
    }
  });
  window.addEventListener("resize", fit);
  tick();
  fit();
  setInterval(tick, 15000);
})();
