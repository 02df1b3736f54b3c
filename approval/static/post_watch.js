// A post about to go out (a "Publish now", a slot minutes away, the worker sending it): its page asks every few
// seconds whether the post changed, and reloads when it did, to show it published, failed or held. Asking stops
// after a while (the page says what to do about a post that did not go out) and while the tab is hidden.
(function () {
  "use strict";
  var watch = document.getElementById("post-watch");
  if (!watch || !window.fetch) { return; }
  var EVERY_MS = 3000, FOR_MS = 15 * 60 * 1000, started = Date.now();
  function ask() {
    if (Date.now() - started > FOR_MS) { return; }
    if (document.hidden) { window.setTimeout(ask, EVERY_MS); return; }
    fetch(watch.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (answer) {
        // Signed out (sent to the login page), or the post no longer theirs: nothing more to ask.
        if (answer.redirected || (answer.status >= 400 && answer.status < 500)) { throw new Error("gone"); }
        return answer.ok ? answer.json() : null;
      })
      .then(function (post) {
        // The post's own address, not a reload: this page may be the answer to a form, sent again by a reload.
        if (post && String(post.version) !== watch.dataset.version) { window.location.assign(watch.dataset.page); return; }
        window.setTimeout(ask, EVERY_MS);
      })
      .catch(function (error) { if (error.message !== "gone") { window.setTimeout(ask, EVERY_MS); } });
  }
  window.setTimeout(ask, EVERY_MS);
})();
