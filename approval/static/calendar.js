// The calendar: drag a scheduled post to another day (month view) or hour (week view), or focus it and press
// Alt with an arrow key (a day left or right, an hour up or down). A day, or an arrow key, moves the post by so
// many days and hours on the clock of its market (Paris 03:30 a day earlier is Paris 03:30 the day before, whatever
// zone the calendar shows: Paris and New York change their clocks on different dates). A drop on an hour of the
// week puts it at that hour, in the zone the calendar shows, keeping its minutes: the cell it was dropped on, even
// across a date when only one of the two zones changes its clocks. The night the clocks go back, the hour they
// repeat is two cells, the first and the second reading (data-fold), and a drop says which; the hour they skip in
// spring is no cell to drop on (no data-date). The engine checks its guards, and the page
// reloads to show where the post really is and says where it went. No inline script: everything is wired from here
// (the pages run under a strict CSP).
(function () {
  "use strict";
  var calendar = document.getElementById("calendar");
  if (!calendar) { return; }
  var status = document.getElementById("calendar-status");

  // A phone opening the calendar without choosing a view gets the list: a month or a week of seven columns leaves
  // each post a few letters. A view chosen (in the address) is kept.
  if (!/[?&]view=/.test(window.location.search) && window.matchMedia &&
      window.matchMedia("(max-width: 600px)").matches) {
    var list = document.querySelector('.calendar-nav .views a[data-view="list"]');
    if (list && !calendar.classList.contains("calendar-list")) { window.location.replace(list.href); return; }
  }

  // The browser's zone: offered in the zone selector, and told to the server (a cookie, as zone.js does on every
  // page), which reads the pages in it when the person chose no zone of their own. A calendar shown in a default
  // zone (no zone asked for, none chosen, none known from the browser yet) is shown again in the browser's, once.
  var zoneSelect = document.getElementById("calendar-tz");
  var mine = null;
  try { mine = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (ignored) { /* an old browser */ }
  if (zoneSelect && mine && !Array.prototype.some.call(zoneSelect.options, function (o) { return o.value === mine; })) {
    var option = document.createElement("option");
    option.value = mine;
    option.textContent = mine + " ★";
    zoneSelect.appendChild(option);
  }
  if (mine && /^[A-Za-z0-9_+\-\/]{1,64}$/.test(mine)) {  // the cookie itself is zone.js's, in every page's head
    var AGAIN = "approval-calendar-zone-again";
    try {
      // Once per zone and tab: a zone the server does not take leaves the calendar where it is.
      if (calendar.dataset.zoneFrom === "default" && calendar.dataset.tz !== mine &&
          window.sessionStorage.getItem(AGAIN) !== mine) {
        window.sessionStorage.setItem(AGAIN, mine);
        window.location.reload();
        return;
      }
    } catch (ignored) { /* storage refused: no second showing */ }
  }

  function daysBetween(from, to) {  // two "YYYY-MM-DD": how many days from one to the other
    return Math.round((Date.parse(to + "T00:00:00Z") - Date.parse(from + "T00:00:00Z")) / 86400000);
  }

  // A post of a set moved alone (dragged or with the keyboard, the server says the same): after the move's own
  // words, that the set's other posts were not moved, and a link to the set's page ({note, url, link}).
  function say(text, set) {
    if (!status) { return; }
    status.textContent = text;
    if (set && set.note && set.url) {
      status.appendChild(document.createTextNode(" " + set.note + " "));
      var link = document.createElement("a");
      link.href = set.url;
      link.textContent = set.link || set.url;
      status.appendChild(link);
    }
  }

  // After a move the page reloads: the moved post gets the focus back (a keyboard user goes on from it), and the
  // status says where it went (the server's words: its market's time, and the viewer's).
  // A move can be undone from the status line once: the post goes back to the time it had, in the zone the calendar
  // showed it in (UNDO keeps the post, that time and that zone until the page after the move is read).
  var FOCUS = "approval-calendar-focus", SAID = "approval-calendar-said", UNDO = "approval-calendar-undo";
  var SET = "approval-calendar-set";
  var undo = document.getElementById("calendar-undo");
  try {
    var focused = window.sessionStorage.getItem(FOCUS);
    var said = window.sessionStorage.getItem(SAID);
    var back = JSON.parse(window.sessionStorage.getItem(UNDO) || "null");
    var inSet = JSON.parse(window.sessionStorage.getItem(SET) || "null");
    window.sessionStorage.removeItem(SAID);
    window.sessionStorage.removeItem(UNDO);
    window.sessionStorage.removeItem(SET);
    if (focused) {
      window.sessionStorage.removeItem(FOCUS);
      var again = calendar.querySelector('[data-post="' + focused.replace(/[^0-9]/g, "") + '"]');
      if (again) {
        again.focus();
        say(said || calendar.dataset.movedMessage, inSet);
        if (undo && back && back.post === again.dataset.post) {
          undo.hidden = false;
          undo.querySelector("button").addEventListener("click", function () {
            undo.hidden = true;
            var where = {local_time: back.local, tz: back.tz};
            if (back.fold !== undefined && back.fold !== null) { where.fold = back.fold; }  // a repeated hour's
            move(again, where, true);
          });
        }
      }
    }
  } catch (ignored) { /* storage refused: the focus starts at the top, as on any page */ }

  function move(entry, where, undoing) {  // where: {days, hours} on the market's clock, or {local_time, tz}
    var body = new URLSearchParams();
    body.set("post_id", entry.dataset.post);
    body.set("version", entry.dataset.version);
    Object.keys(where).forEach(function (name) { body.set(name, String(where[name])); });
    body.set("csrf_token", calendar.dataset.csrf);
    entry.classList.add("moving");
    return fetch(calendar.dataset.moveUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": calendar.dataset.csrf}
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (response.ok) {
          say(answer.message || calendar.dataset.movedMessage, answer.set);
          try {
            window.sessionStorage.setItem(FOCUS, entry.dataset.post);
            if (answer.message) { window.sessionStorage.setItem(SAID, answer.message); }
            if (answer.set) { window.sessionStorage.setItem(SET, JSON.stringify(answer.set)); }
            if (!undoing) {
              window.sessionStorage.setItem(UNDO, JSON.stringify(
                {post: entry.dataset.post, local: entry.dataset.local.slice(0, 16), tz: calendar.dataset.tz,
                 fold: entry.dataset.fold === undefined ? null : entry.dataset.fold}));
            }
          } catch (ignored) { /* see above */ }
          window.location.reload();
          return;
        }
        if (answer.choose_at) {
          // A time the clocks repeat: the post's page, its move form filled in, asks which of the two.
          window.location.assign(answer.choose_at);
          return;
        }
        entry.classList.remove("moving");
        // The message, then each reason not already said (a guard's one reason is often the message itself).
        var said = [answer.message || String(response.status)];
        Object.keys(answer.errors || {}).forEach(function (k) {
          [].concat(answer.errors[k]).forEach(function (reason) {
            if (said.indexOf(reason) < 0) { said.push(reason); }
          });
        });
        say(calendar.dataset.failedMessage + " " + said.join(" "));
      });
    }).catch(function () {
      entry.classList.remove("moving");
      say(calendar.dataset.failedMessage + " …");
    });
  }

  var dragged = null;
  calendar.addEventListener("dragstart", function (event) {
    var entry = event.target.closest && event.target.closest("[data-post]");
    if (!entry) { return; }
    dragged = entry;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", entry.dataset.post);
  });
  calendar.addEventListener("dragover", function (event) {
    if (dragged && event.target.closest("[data-date]")) { event.preventDefault(); }
  });
  calendar.addEventListener("dragenter", function (event) {
    var cell = event.target.closest && event.target.closest("[data-date]");
    if (cell) { cell.classList.add("drop-target"); }
  });
  calendar.addEventListener("dragleave", function (event) {
    var cell = event.target.closest && event.target.closest("[data-date]");
    if (cell && !cell.contains(event.relatedTarget)) { cell.classList.remove("drop-target"); }
  });
  calendar.addEventListener("drop", function (event) {
    var cell = event.target.closest("[data-date]");
    if (!dragged || !cell) { return; }
    event.preventDefault();
    cell.classList.remove("drop-target");
    // The post's time in the calendar's zone ("YYYY-MM-DDTHH:MM"): a day's cell moves it by as many days on its
    // market's clock; an hour's cell puts it at that hour in the calendar's zone, its minutes kept.
    var local = dragged.dataset.local;
    var entry = dragged;
    dragged = null;
    if (cell.dataset.hour === undefined) {
      var days = daysBetween(local.slice(0, 10), cell.dataset.date);
      if (days) { move(entry, {days: days, hours: 0}); }
      return;
    }
    var hour = ("0" + parseInt(cell.dataset.hour, 10)).slice(-2);
    var target = cell.dataset.date + "T" + hour + local.slice(13, 16);
    var where = {local_time: target, tz: calendar.dataset.tz};
    var fold = cell.dataset.fold;  // which reading of an hour the clocks repeat: "0" the first, "1" the second
    if (fold !== undefined) { where.fold = fold; }
    if (target !== local.slice(0, 16) || (fold !== undefined && fold !== (entry.dataset.fold || "0"))) {
      move(entry, where);
    }
  });
  calendar.addEventListener("dragend", function () { dragged = null; });

  calendar.addEventListener("keydown", function (event) {
    var entry = event.target.closest && event.target.closest("[data-post]");
    if (!entry || !event.altKey) { return; }
    var steps = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1]}[event.key];
    if (!steps) { return; }
    event.preventDefault();
    move(entry, {days: steps[0], hours: steps[1]});
  });
})();
