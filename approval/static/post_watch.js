// A post about to go out (a "Publish now", a slot minutes away, the worker sending it): its page asks every few
// seconds whether the post changed, and reloads when it did, to show it published, failed or held. Asking stops
// after a while (the page says what to do about a post that did not go out) and while the tab is hidden.
//
// A page that must not be reloaded under its reader (a suggested message awaiting the cabinet, whose member may be
// typing a reason) names a notice instead (``data-notice``, the id of a hidden element): when the post changes (a
// colleague decided, the project manager edited the text), the notice is shown, with what happened when the answer
// says it (``said``, into the notice's ``[data-said]``), and asking stops: the page is reloaded only by its reader.
// ``data-for-minutes``: how long to ask (15 minutes unless it says); ``data-every-seconds``: how often (3).
// A post going out now says when it would be overdue (``data-overdue-in``): the page is drawn again then.
(function () {
  "use strict";
  var watch = document.getElementById("post-watch");
  if (!watch || !window.fetch) { return; }
  var notice = watch.dataset.notice ? document.getElementById(watch.dataset.notice) : null;
  // Every 3 s unless ``data-every-seconds`` says (a page awaiting a decision, open for hours on many reviewers'
  // screens, asks less often).
  var EVERY_MS = (Number(watch.dataset.everySeconds) || 3) * 1000;
  var FOR_MS = (Number(watch.dataset.forMinutes) || 15) * 60 * 1000;
  var started = Date.now();
  function tell(post) {
    var said = notice.querySelector("[data-said]");
    // One sentence, or one per change since the page was drawn (``said``: a string or a list of strings).
    var words = Array.isArray(post.said) ? post.said.join(" ") : post.said;
    if (said && typeof words === "string") { said.textContent = words; }
    notice.hidden = false;
  }
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
        if (post && String(post.version) !== watch.dataset.version) {
          if (notice) { tell(post); return; }
          // The post's own address, not a reload: this page may be the answer to a form, sent again by a reload.
          window.location.assign(watch.dataset.page);
          return;
        }
        window.setTimeout(ask, EVERY_MS);
      })
      .catch(function (error) { if (error.message !== "gone") { window.setTimeout(ask, EVERY_MS); } });
  }
  window.setTimeout(ask, EVERY_MS);
  // A post going out now (its time come, or a hold just released) is called overdue only once a worker's pass could
  // have sent it (``data-overdue-in``, seconds): should it still be there then, unchanged, its page is drawn again,
  // to ask whether a publishing worker is running rather than say "going out now" for ever.
  var going = notice ? null : document.querySelector("[data-overdue-in]");
  var due = going ? Number(going.dataset.overdueIn) : NaN;
  if (due > 0 && due * 1000 < FOR_MS) {
    window.setTimeout(function () { window.location.assign(watch.dataset.page); }, (due + 1) * 1000);
  }
})();
