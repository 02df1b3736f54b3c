// The browser's time zone, told to the server in a cookie: the pages show "your time" in it when the person chose
// no zone of their own (a project manager in New York whose first market is Paris reads New York's time). The server
// takes only the name of a place's zone (approval.notifications.zones). Loaded on every page, in its head.
(function () {
  "use strict";
  var mine = null;
  try { mine = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (ignored) { return; }
  if (!mine || !/^[A-Za-z0-9_+\-\/]{1,64}$/.test(mine)) { return; }
  var known = (document.cookie.match(/(?:^|;\s*)approval_tz=([^;]*)/) || [])[1];
  if (known !== mine) {
    document.cookie = "approval_tz=" + mine + "; path=/; max-age=31536000; SameSite=Lax" +
      (window.location.protocol === "https:" ? "; Secure" : "");
  }
})();
