// The Social Hub wall, live: a Server-Sent Events stream sends the whole wall again each time something changed;
// it replaces the wall in one step (no reload, no flicker). When the stream breaks, a banner says so and the
// browser retries by itself; a revoked kiosk link blanks the wall and stops retrying. Clocks and ages tick here, and
// the wall's own times are shown in the screen's zone.
(function () {
  "use strict";
  var wall = document.getElementById("wall");
  var banner = document.getElementById("connection");
  var news = document.getElementById("wall-news");
  if (!wall || !window.EventSource) { return; }
  var locale = wall.dataset.locale || undefined;
  var lostTimer = null;

  function showBanner(text, revoked) {
    banner.textContent = text;
    banner.hidden = false;
    banner.classList.toggle("revoked", !!revoked);
    document.body.classList.add("stale");
  }

  function hideBanner() {
    banner.hidden = true;
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

  function tick() {
    var now = new Date();
    Array.prototype.forEach.call(wall.querySelectorAll(".clock[data-zone]"), function (clock) {
      try {
        clock.textContent = new Intl.DateTimeFormat(locale, {hour: "2-digit", minute: "2-digit", hour12: false,
          timeZone: clock.dataset.zone}).format(now);
      } catch (ignored) { /* an unknown zone: keep the server's time */ }
    });
    // Times of the wall itself (its last change, a stop switch turned on): the screen's own zone, that of the room
    // it stands in; the server wrote them in UTC for a browser without scripts.
    Array.prototype.forEach.call(wall.querySelectorAll("time.local[datetime]"), function (time) {
      var at = new Date(time.getAttribute("datetime"));
      if (isNaN(at)) { return; }
      // With the zone's short name: beside the markets' own clocks, "Updated 13:55" read as one of theirs.
      var options = {hour: "2-digit", minute: "2-digit", hour12: false, timeZoneName: "short"};
      if (at.toDateString() !== now.toDateString()) { options.day = "numeric"; options.month = "short"; }
      time.textContent = new Intl.DateTimeFormat(locale, options).format(at);
    });
    Array.prototype.forEach.call(wall.querySelectorAll(".age-row[data-since]"), function (row) {
      var since = Date.parse(row.dataset.since);
      if (isNaN(since)) { return; }
      var seconds = (now - since) / 1000;
      row.classList.toggle("red", seconds >= +row.dataset.red);
      row.classList.toggle("amber", seconds >= +row.dataset.amber && seconds < +row.dataset.red);
    });
  }

  var url = wall.dataset.stream;
  url += (url.indexOf("?") < 0 ? "?" : "&") + "since=" + encodeURIComponent(wall.dataset.digest);
  var source = new EventSource(url);
  source.addEventListener("open", function () {
    if (lostTimer) { clearTimeout(lostTimer); lostTimer = null; }
    hideBanner();
  });
  source.addEventListener("wall", function (event) {
    var before = counts();
    wall.innerHTML = event.data;
    announce(before, counts());
    wall.dataset.digest = event.lastEventId;
    hideBanner();
    tick();
  });
  source.addEventListener("revoked", function (event) {
    source.close();
    wall.innerHTML = "";
    showBanner(event.data === "ended" ? banner.dataset.ended : banner.dataset.revoked, true);
  });
  source.addEventListener("error", function () {
    if (source.readyState === EventSource.CLOSED && !banner.classList.contains("revoked")) {
      // The server refused the stream (the link is gone, or the server answers an error): retry from scratch.
      showBanner(banner.dataset.lost);
      setTimeout(function () { window.location.reload(); }, 10000);
      return;
    }
    // A short blip reconnects at once: say so only if it lasts.
    if (!lostTimer) {
      lostTimer = setTimeout(function () { showBanner(banner.dataset.lost); lostTimer = null; }, 1500);
    }
  });
  tick();
  setInterval(tick, 15000);
})();
