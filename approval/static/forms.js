// Every page's forms. A form (or a button) whose action cannot be taken back (a kiosk link revoked, a stop switch
// turned off: posts may go out; a post withdrawn or rejected) asks first: its data-confirm is the question. A form that changes something is sent once: a
// second click while the first answer is on its way (a double click, a slow network) would make a second post or a
// second decision. Without scripts the forms submit as they are (the new-post form's key still catches a resend).
(function () {
  "use strict";
  // Long enough for any answer the app gives; after it the button works again (a request lost on the way).
  var SENDING_MS = 20000;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.dataset) { return; }  // a page's script sends it itself (the editor)
    if (form.dataset.sending) { event.preventDefault(); return; }
    // The question is the button's (one form, several decisions: only "Reject" asks) or the form's. A decision that
    // needs a comment is not asked about without one: the page refuses it and says so, nothing to confirm.
    var submitter = event.submitter;
    var comment = form.querySelector("[name=comment]");
    var unexplained = submitter && "needsComment" in submitter.dataset && comment && !comment.value.trim();
    var question = unexplained ? null : ((submitter && submitter.dataset.confirm) || form.dataset.confirm);
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    if ((form.getAttribute("method") || "get").toLowerCase() === "post" && !form.target) {
      form.dataset.sending = "1";
      window.setTimeout(function () { delete form.dataset.sending; }, SENDING_MS);
    }
  });
  // A page drawn at a form's address (a refusal): the history's entry becomes a GET of that address, so that a
  // reload opens the page again instead of sending the form a second time (base.html says when a GET answers it).
  var reload = document.querySelector("meta[name=reload-as-get]");
  if (reload && window.history && window.history.replaceState) {
    window.history.replaceState(window.history.state, "", reload.getAttribute("content"));
  }
  // Back to a page the browser kept in memory: its forms can be sent again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (form) { delete form.dataset.sending; });
  });
})();
