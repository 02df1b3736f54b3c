// The calendar: drag a scheduled post to another day (month view) or hour (week view), or focus it and press
// Alt with an arrow key (a day left or right, an hour up or down). Either asks the server to schedule the post at
// the new wall-clock time in the calendar's zone; the engine checks its guards, and the page reloads to show
// where the post really is. No inline script: everything is wired from here (the pages run under a strict CSP).
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

  // Offer the browser's own zone in the zone selector.
  var zoneSelect = document.getElementById("calendar-tz");
  try {
    var mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zoneSelect && mine && !Array.prototype.some.call(zoneSelect.options, function (o) { return o.value === mine; })) {
      var option = document.createElement("option");
      option.value = mine;
      option.textContent = mine + " ★";
      zoneSelect.appendChild(option);
    }
  } catch (ignored) { /* an old browser: the markets' zones remain */ }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function shifted(local, days, hours) {
    // local is "YYYY-MM-DDTHH:MM", a wall-clock time: shift it as a calendar does, in UTC arithmetic.
    var d = new Date(local + ":00Z");
    d.setUTCDate(d.getUTCDate() + days);
    d.setUTCHours(d.getUTCHours() + hours);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + "T" +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }

  function say(text) { if (status) { status.textContent = text; } }

  // After a move the page reloads: the moved post gets the focus back (a keyboard user goes on from it), and the
  // status says it moved.
  var FOCUS = "approval-calendar-focus";
  try {
    var focused = window.sessionStorage.getItem(FOCUS);
    if (focused) {
      window.sessionStorage.removeItem(FOCUS);
      var again = calendar.querySelector('[data-post="' + focused.replace(/[^0-9]/g, "") + '"]');
      if (again) { again.focus(); say(calendar.dataset.movedMessage); }
    }
  } catch (ignored) { /* storage refused: the focus starts at the top, as on any page */ }

  function move(entry, local) {
    var body = new URLSearchParams();
    body.set("post_id", entry.dataset.post);
    body.set("version", entry.dataset.version);
    body.set("local_time", local);
    body.set("tz", calendar.dataset.tz);
    body.set("csrf_token", calendar.dataset.csrf);
    entry.classList.add("moving");
    return fetch(calendar.dataset.moveUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRFToken": calendar.dataset.csrf}
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (response.ok) {
          say(calendar.dataset.movedMessage);
          try { window.sessionStorage.setItem(FOCUS, entry.dataset.post); } catch (ignored) { /* see above */ }
          window.location.reload();
          return;
        }
        if (answer.choose_at) {
          // A time the clocks repeat: the post's page, its move form filled in, asks which of the two.
          window.location.assign(answer.choose_at);
          return;
        }
        entry.classList.remove("moving");
        var reasons = [];
        Object.keys(answer.errors || {}).forEach(function (k) { reasons = reasons.concat(answer.errors[k]); });
        say(calendar.dataset.failedMessage + " " + (answer.message || response.status) +
            (reasons.length ? " " + reasons.join(" ") : ""));
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
    var time = dragged.dataset.local.slice(11);
    if (cell.dataset.hour !== undefined) { time = pad(parseInt(cell.dataset.hour, 10)) + time.slice(2); }
    var target = cell.dataset.date + "T" + time;
    var entry = dragged;
    dragged = null;
    if (target !== entry.dataset.local) { move(entry, target); }
  });
  calendar.addEventListener("dragend", function () { dragged = null; });

  calendar.addEventListener("keydown", function (event) {
    var entry = event.target.closest && event.target.closest("[data-post]");
    if (!entry || !event.altKey) { return; }
    var steps = {ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1]}[event.key];
    if (!steps) { return; }
    event.preventDefault();
    move(entry, shifted(entry.dataset.local, steps[0], steps[1]));
  });
})();
