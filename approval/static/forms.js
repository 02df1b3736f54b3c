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
  // "Back to the form" on a page that refused a form (templates/errors/too_large.html): the browser's own back, which
  // in most browsers shows the form with what was typed in it. Without scripts the page says to use the Back button.
  document.querySelectorAll("[data-history-back]").forEach(function (button) {
    if (window.history.length < 2) { return; }
    button.hidden = false;
    button.addEventListener("click", function () { window.history.back(); });
  });
  // A page drawn at a form's address (a refusal): the history's entry becomes a GET of that address, so that a
  // reload opens the page again instead of sending the form a second time (base.html says when a GET answers it).
  var reload = document.querySelector("meta[name=reload-as-get]");
  if (reload && window.history && window.history.replaceState) {
    window.history.replaceState(window.history.state, "", reload.getAttribute("content"));
  }
  // A page a refused form drew comes back at its top, the cursor at its start: a keyboard or a screen reader had to
  // hunt for what went wrong. The focus goes where the page says: a field it focuses itself (autofocus) keeps it;
  // else a section that asks for it first (someone saved meanwhile: data-focus="first"), else the first field marked
  // invalid (its reasons are read with it: aria-describedby), else the message that says why (data-focus="fallback").
  function focusable(element) {
    return element && !element.disabled && element.getClientRects().length > 0;
  }
  function firstInvalid() {
    var marked = document.querySelectorAll("[aria-invalid=true]");
    for (var i = 0; i < marked.length; i += 1) {
      if (focusable(marked[i]) && marked[i].tabIndex >= 0) { return marked[i]; }
    }
    return null;
  }
  if (!document.querySelector("[autofocus]")) {
    var target = [document.querySelector("[data-focus=first]"), firstInvalid(),
                  document.querySelector("[data-focus=fallback]")].filter(focusable)[0];
    if (target) { target.focus(); }
  }
  // The new-post form's text kept as it was typed (static/editor.js) is forgotten once its save led to the post or the
  // set it made (or made already): the page after the form's is theirs. Any other page after it (the login page of a
  // session that ended, the form refused) keeps it, to be offered on the next new-post form.
  try {
    var sent = window.sessionStorage.getItem("approval:new-post-draft-sent");
    if (sent) {
      window.sessionStorage.removeItem("approval:new-post-draft-sent");
      if (/\/(posts\/\d+(\/edit)?|sets\/\d+)$/.test(window.location.pathname)) { window.localStorage.removeItem(sent); }
    }
  } catch (ignored) { /* no storage: nothing was kept */ }
  // Logging out forgets the new-post text kept in this browser, whoever's it is: the next person at a shared computer
  // reads none of it (a session that ended elsewhere, the case it is kept for, keeps it: the Save keeps it again).
  document.addEventListener("submit", function (event) {
    if (!/\/logout$/.test(new URL(event.target.action, window.location.href).pathname)) { return; }
    try {
      Object.keys(window.localStorage).filter(function (name) {
        return name.indexOf("approval:new-post-draft:") === 0;
      }).forEach(function (name) { window.localStorage.removeItem(name); });
    } catch (ignored) { /* no storage: nothing was kept */ }
  });
  // Back to a page the browser kept in memory: its forms can be sent again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(function (form) { delete form.dataset.sending; });
  });
})();
