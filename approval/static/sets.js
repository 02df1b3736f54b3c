// The new-post form's "Also write it for" (templates/posts/edit.html): the account chosen above is written for
// already, so its own box is ticked and disabled while it is the one chosen. Without scripts every box is there,
// and ticking the chosen account's makes no second post (views.posts.new_post).
(function () {
  "use strict";
  var select = document.querySelector("select[name=account_id]");
  var boxes = document.querySelectorAll("input[name=also_account_ids]");
  if (!select || !boxes.length) { return; }
  function follow() {
    boxes.forEach(function (box) {
      var chosen = box.value === select.value;
      if (chosen && !box.disabled) { box.dataset.wasChecked = box.checked ? "1" : ""; }
      if (!chosen && box.disabled) { box.checked = box.dataset.wasChecked === "1"; }
      box.disabled = chosen;
      if (chosen) { box.checked = true; }
      box.closest("li").classList.toggle("chosen", chosen);
    });
  }
  select.addEventListener("change", follow);
  follow();
}());

// A set's page (templates/sets/show.html): "Approve and schedule all at this time" previews, under its fields, what
// the time typed is in each market the set schedules in: the same moment told by each market's clock, or each
// market's own clock at that wall-clock time (and the viewer's clock then). The browser converts (Intl with
// timeZone); the server sends the zones and the sentences, translated, with "{time}"-like holes to fill. Without
// scripts the preview is the server's, for a form sent back only.
(function () {
  "use strict";
  var preview = document.getElementById("approve-all-preview");
  var form = preview && preview.closest("form");
  if (!form) { return; }
  var typed = form.querySelector("input[name=local_time]");
  var zoneSelect = form.querySelector("select[name=time_zone]");
  var heading = preview.querySelector(".preview-heading");
  var locale = document.documentElement.lang || undefined;
  var say = preview.dataset;

  function fill(sentence, holes) {
    return sentence.replace(/\{(\w+)\}/g, function (hole, name) { return name in holes ? holes[name] : hole; });
  }

  // Minutes east of UTC of ``zone`` at the instant ``at`` (milliseconds).
  function offsetIn(at, zone) {
    var parts = {};
    new Intl.DateTimeFormat("en-US", {timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric",
      day: "numeric", hour: "numeric", minute: "numeric"}).formatToParts(new Date(at))
      .forEach(function (part) { parts[part.type] = part.value; });
    var there = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute);
    return Math.round((there - Math.floor(at / 60000) * 60000) / 60000);
  }

  // The instants at which the clocks of ``zone`` read ``wall`` (a wall-clock time as milliseconds, read as UTC):
  // one, none where they skip it, two where they repeat it; as the server reads it (operations.local_to_utc),
  // assuming at most one change of the clocks in a day.
  function instantsOf(wall, zone) {
    var found = [];
    [offsetIn(wall - 86400000, zone), offsetIn(wall + 86400000, zone)].forEach(function (minutes) {
      var at = wall - minutes * 60000;
      if (offsetIn(at, zone) === minutes && found.indexOf(at) < 0) { found.push(at); }
    });
    return found.sort(function (a, b) { return a - b; });
  }

  function wallClock(at, zone) {  // "Dec 8, 2027, 09:00", as the zone's clocks read the instant
    return new Intl.DateTimeFormat(locale, {timeZone: zone, dateStyle: "medium", timeStyle: "short",
      hourCycle: "h23"}).format(new Date(at));
  }

  function clock(at, zone) {  // "09:00"
    return new Intl.DateTimeFormat(locale, {timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23"})
      .format(new Date(at));
  }

  function utcOffset(at, zone) {  // "UTC+01:00", as the server writes it (localtime.utc_offset)
    var minutes = offsetIn(at, zone), size = Math.abs(minutes);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return "UTC" + (minutes < 0 ? "-" : "+") + two(Math.floor(size / 60)) + ":" + two(size % 60);
  }

  function saidIn(at, zone) {  // "Dec 8, 2027, 09:00 (Europe/Paris, UTC+01:00)", as labels.said_in
    return wallClock(at, zone) + " (" + zone + ", " + utcOffset(at, zone) + ")";
  }

  function withYours(at, zone) {  // ... and the viewer's clock, when it reads otherwise (filters.slot_time)
    var mine = say.viewerZone, market = saidIn(at, zone);
    if (!mine || mine === zone || wallClock(at, mine) === wallClock(at, zone)) { return market; }
    var sameDay = new Intl.DateTimeFormat("en-CA", {timeZone: mine, dateStyle: "short"}).format(new Date(at)) ===
      new Intl.DateTimeFormat("en-CA", {timeZone: zone, dateStyle: "short"}).format(new Date(at));
    return fill(say.yourTime, {market_time: market, time: sameDay ? clock(at, mine) : wallClock(at, mine), zone: mine});
  }

  function eachOf(instants, zone, tell) {  // one instant, both where the clocks repeat it, or why none
    if (!instants.length) { return fill(say.skipped, {zone: zone}); }
    if (instants.length === 1) { return tell(instants[0]); }
    return fill(say.twice, {first: tell(instants[0]), second: tell(instants[1])});
  }

  function draw() {
    var found = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(typed.value);
    var basis = form.querySelector("input[name=time_basis]:checked");
    if (!found) { preview.hidden = true; return; }
    var wall = Date.UTC(+found[1], +found[2] - 1, +found[3], +found[4], +found[5]);
    var asTyped = wallClock(wall, "UTC");
    var lines = preview.querySelectorAll("li[data-zone]");
    if (basis && basis.value === "moment") {
      var one = zoneSelect.value || say.viewerZone;
      var moments = instantsOf(wall, one);
      heading.textContent = fill(say.moment, {time: asTyped, zone: one});
      lines.forEach(function (line) {
        line.querySelector(".preview-time").textContent = moments.length ? eachOf(moments, one, function (at) {
          return saidIn(at, line.dataset.zone);
        }) : fill(say.skipped, {zone: one});
      });
    } else {
      heading.textContent = fill(say.local, {time: asTyped});
      lines.forEach(function (line) {
        var zone = line.dataset.zone;
        line.querySelector(".preview-time").textContent = eachOf(instantsOf(wall, zone), zone, function (at) {
          return withYours(at, zone);
        });
      });
    }
    preview.hidden = false;
  }

  function redraw() {
    try { draw(); } catch (unknownZone) { preview.hidden = true; }  // a zone this browser's calendar lacks
  }

  form.addEventListener("input", redraw);
  form.addEventListener("change", redraw);
  redraw();
}());
