// On a user's form, each group of fields is shown for the roles it means something for (its data-for-roles):
// markets for community and project managers, the executives served for cabinet members. A hidden group's
// inputs are disabled, so they are not sent: a cabinet member keeps no market ticked before they became one.
// Without this script every group is shown, and saving refuses what means nothing for the role chosen.
//
// "All markets" is a community or project manager's choice ("sees the accounts of every market"). A cabinet member
// given it still sees only their executives' messages: it merely lists every market in their filters
// (approval.access.market_clause). So it is not offered to a cabinet member; one saved with it (the command line's
// --all-markets, the API, an older form) keeps it in sight, ticked, to untick or keep. The server takes it for
// any role, as it did: a form sent without it saves it off.
//
// A new user's form asks how they get in (an invitation, or a first password): the password field (its
// data-for-how) is shown only when a first password is chosen. Without this script it is always shown, and an
// invitation ignores it.
(function () {
  "use strict";
  var role = document.querySelector("form select[name=role]");
  var groups = document.querySelectorAll("form [data-for-roles]");
  var ways = document.querySelectorAll("form input[name=how]");
  var byWay = document.querySelectorAll("form [data-for-how]");
  function showOnly(group, show) {
    group.hidden = !show;
    group.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !show; });
  }
  if (ways.length && byWay.length) {
    var followWay = function () {
      var chosen = document.querySelector("form input[name=how]:checked");
      byWay.forEach(function (group) {
        showOnly(group, !chosen || group.getAttribute("data-for-how").split(" ").indexOf(chosen.value) !== -1);
      });
    };
    ways.forEach(function (way) { way.addEventListener("change", followWay); });
    followWay();
  }
  if (!role || !groups.length) {
    return;
  }
  var everywhere = document.querySelector("form input[name=all_markets]");
  var keptByCabinet = !!everywhere && everywhere.checked && role.value === "cabinet";
  function shown(group) {
    if (role.value === "cabinet" && everywhere && group.contains(everywhere) && !keptByCabinet) {
      return false;
    }
    return group.getAttribute("data-for-roles").split(" ").indexOf(role.value) !== -1;
  }
  function follow() {
    groups.forEach(function (group) { showOnly(group, shown(group)); });
  }
  role.addEventListener("change", follow);
  follow();
})();
