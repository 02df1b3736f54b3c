// The new-post form's key (approval.forms.posts.PostForm.form_key) put back with its text. Back after a save asks
// the server for the page anew, with a new key, and the browser puts back what was typed, not a hidden input's value:
// Save again made a second post. The key sent is kept with the text for the tab (sessionStorage); a page that comes
// back with that text takes that key again, which leads to the post it made (views.posts._sent_before).
(function () {
  "use strict";
  const key = document.querySelector("form.editor input[name=form_key]");
  const text = key && key.form.querySelector("textarea[name=body]");
  if (!text) return;
  const SENT = "approval:new-post-sent";
  const issued = key.value;  // the key this page was drawn with: a form that differs from the one sent goes with it
  // What the form says (its fields but the token and the key; the files are never put back): only the very form
  // sent takes its key again. Its text alone took it for "Duplicate" right after a save (the same text, another
  // account) and for a text changed after Back: both led to the first post, and the new text was lost.
  function said() {
    return JSON.stringify(Array.from(new FormData(key.form).entries()).filter(function (entry) {
      return entry[0] !== "csrf_token" && entry[0] !== "form_key" && typeof entry[1] === "string";
    }));
  }
  function sent() {
    try { return JSON.parse(window.sessionStorage.getItem(SENT) || "null"); } catch (ignored) { return null; }
  }
  function cameBack(event) {
    if (event && event.persisted) return true;
    const visit = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation")[0]
      : null;
    return Boolean(visit && visit.type === "back_forward");
  }
  function putBack(event) {
    if (!cameBack(event)) return;  // a form opened anew ("New post", "Duplicate") is a new form
    const before = sent();
    if (before && before.said === said() && before.key !== key.value) key.value = before.key;
  }
  // After the form's own handlers: a send they stopped (files too large) leaves nothing kept.
  document.addEventListener("submit", function (event) {
    if (event.target !== key.form || event.defaultPrevented) return;
    const before = sent();
    if (key.value !== issued && !(before && before.key === key.value && before.said === said())) {
      key.value = issued;  // changed since it came back: another form
    }
    try {
      window.sessionStorage.setItem(SENT, JSON.stringify({ key: key.value, said: said() }));
    } catch (ignored) { /* storage refused: the form is sent as it is */ }
  });
  putBack();
  // The browser may put the text back once the page has loaded (or from its memory: pageshow).
  window.addEventListener("load", function () { putBack(); });
  window.addEventListener("pageshow", putBack);
})();
// A new post's proposed time is read in the market zone of the account chosen, and of each account ticked in "Also
// write it for" (views.posts._set_proposals): the label and the time it is now follow them, from each account's
// zone (data-zones). The page drew the zone of the account chosen when it was drawn; Kenya's account chosen,
// the label still said Paris.
(function () {
  "use strict";
  const field = document.querySelector("form.editor .field.proposal[data-label-one]");
  const account = field && field.closest("form").querySelector("select[name=account_id]");
  if (!account) return;
  const form = account.form;
  const label = field.querySelector("label[for=proposed_time]");
  const now = document.getElementById("proposed_time-now");
  const yours = document.getElementById("proposed_time-yours");
  const lang = document.documentElement.lang || undefined;

  const zoneOf = JSON.parse(field.dataset.zones || "{}");  // an account's id: its market's zone

  // The zones where the time is read, the chosen account's first, each once.
  function zones() {
    const found = [zoneOf[account.value]];
    form.querySelectorAll("input[name=also_account_ids]:checked").forEach(function (box) {
      if (!box.disabled && box.value !== account.value) found.push(zoneOf[box.value]);
    });
    return found.filter(function (zone, i) { return zone && found.indexOf(zone) === i; });
  }

  function timeIn(zone) {
    return new Intl.DateTimeFormat(lang, { timeZone: zone, day: "numeric", month: "short", year: "numeric",
                                           hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date());
  }

  function draw() {
    const all = zones();
    if (!all.length) return;
    const d = field.dataset;
    if (all.length === 1) {
      label.textContent = d.labelOne.replace("{zone}", all[0]);
      if (now) now.textContent = d.nowOne.replace("{zone}", all[0]).replace("{time}", timeIn(all[0]));
    } else {
      label.textContent = d.labelEach;
      if (now) {
        now.textContent = d.nowEach.replace("{times}", all.map(function (zone) {
          return d.timeIn.replace("{time}", timeIn(zone)).replace("{zone}", zone);
        }).join("; "));
      }
    }
    if (yours) yours.hidden = all.length === 1 && all[0] === yours.dataset.zone;
  }

  account.addEventListener("change", draw);
  form.querySelectorAll("input[name=also_account_ids]").forEach(function (box) {
    box.addEventListener("change", draw);
  });
  draw();
})();
// The new-post form's text, kept in this browser as it is typed (localStorage, under the writer's id: never offered
// to another person signing in here), and offered back on the next new-post form: a session that ended while it was
// written (logged out in another tab, Save, the login page) brought the form back empty. Text only, no files. Sent,
// it is forgotten once the save has led to its post (static/forms.js: the page after the form's).
(function () {
  "use strict";
  const form = document.querySelector("form.editor[data-draft]");
  const text = form && form.querySelector("textarea[name=body]");
  if (!text) return;
  const KEY = form.dataset.draft;
  const SENT = "approval:new-post-draft-sent";
  // Older than this, a draft is no longer what the person was writing (and logging out forgets it: forms.js).
  const KEPT_MS = 24 * 3600 * 1000;
  const offer = document.getElementById("draft-offer");
  let timer = null;

  function stored() {
    try {
      const draft = JSON.parse(window.localStorage.getItem(KEY) || "null");
      return draft && typeof draft.text === "string" && Date.now() - draft.at < KEPT_MS ? draft : null;
    } catch (ignored) { return null; }
  }
  function keep() {
    try {
      if (text.value.trim()) window.localStorage.setItem(KEY, JSON.stringify({ text: text.value, at: Date.now() }));
      else window.localStorage.removeItem(KEY);
    } catch (ignored) { /* storage full or refused: nothing kept */ }
  }

  const draft = stored();
  if (!draft) {
    try { window.localStorage.removeItem(KEY); } catch (ignored) { /* nothing to forget */ }
  } else if (offer && draft.text.trim() && draft.text !== text.value && !text.value.trim()) {
    // Offered, not put in: the person may have started something else.
    offer.querySelector("[data-draft-excerpt]").textContent = Array.from(draft.text.trim()).slice(0, 120).join("")
      + (Array.from(draft.text.trim()).length > 120 ? "…" : "");
    offer.hidden = false;
    offer.querySelector("[data-draft-restore]").addEventListener("click", function () {
      text.value = draft.text;
      offer.hidden = true;
      text.focus();
      text.dispatchEvent(new Event("input", { bubbles: true }));  // checked, counted and kept as any typing
    });
    offer.querySelector("[data-draft-discard]").addEventListener("click", function () {
      offer.hidden = true;
      try { window.localStorage.removeItem(KEY); } catch (ignored) { /* nothing to forget */ }
      text.focus();
    });
  }
  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(keep, 400);
  });
  document.addEventListener("submit", function (event) {  // after the form's own handlers, as the key's above
    if (event.target !== form || event.defaultPrevented) return;
    clearTimeout(timer);
    keep();
    try { window.sessionStorage.setItem(SENT, KEY); } catch (ignored) { /* kept until the person discards it */ }
  });
})();
// The editor's live checks: the network's count and the style findings, as the user types, without a reload.
(function () {
  const body = document.querySelector("textarea[data-check]");
  if (!body) return;
  const form = body.form;
  const account = form.querySelector("select[name=account_id]");
  const campaign = form.querySelector("select[name=campaign_id]");
  const lengthEl = document.getElementById("length");
  const limitEl = document.getElementById("limit");
  const networkEl = document.getElementById("network-name");
  const list = document.getElementById("live-findings");
  // The counts, said to a screen reader when they change (the list is redrawn at every pause: it is not live).
  const status = document.getElementById("findings-status");
  const token = form.querySelector("input[name=csrf_token]").value;
  let timer = null;
  let sequence = 0;
  // The live check reads at most this many characters (views/posts.py): beyond, its count is of a cut text.
  const CHECKED_CHARS = 70000;
  const numbers = new Intl.NumberFormat(document.documentElement.lang || undefined);
  // A post without the media its network needs: said in the media card (approval.style.network.MEDIA).
  const MEDIA_REQUIRED = "network.media-required";

  function typed() {
    return Array.from(body.value).length;
  }

  function localCount() {
    lengthEl.textContent = numbers.format(typed());
  }

  async function check() {
    const mine = ++sequence;
    const data = new FormData();
    data.append("body", body.value);
    data.append("account_id", account ? account.value : body.dataset.account);
    data.append("campaign_id", campaign ? campaign.value : body.dataset.campaign || "");
    data.append("post_id", body.dataset.post || "");  // its pictures and videos count for the media rules
    data.append("copy_of", body.dataset.copyOf || "");  // a new post's copied from this one: so do this one's
    // A new post's files picked on its form, not sent yet (static/media.js): "Snapchat needs a picture" is no
    // finding once one is picked.
    const picking = document.getElementById("new-media");
    if (picking && !body.dataset.post) data.append("picked", picking.dataset.picked || "[]");
    // A new post's other accounts ticked (static/sets.js disables the chosen one's box): what they refuse, said.
    alsoBoxes().forEach(function (box) { data.append("also_account_ids", box.value); });
    data.append("csrf_token", token);
    const response = await fetch(body.dataset.check, { method: "POST", body: data, credentials: "same-origin" });
    if (!response.ok || mine !== sequence) return;
    const result = await response.json();
    // The network's own count (X weighs links and some characters), unless the text was longer than the check reads.
    const length = typed() > CHECKED_CHARS ? typed() : result.length;
    lengthEl.textContent = numbers.format(length);
    limitEl.textContent = result.limit === null ? "–" : numbers.format(result.limit);
    networkEl.textContent = result.network ? "(" + result.network_name + ")" : "";
    lengthEl.parentElement.classList.toggle("over", result.limit !== null && length > result.limit);
    if (status && status.textContent.trim() !== result.summary) status.textContent = result.summary;
    // The text's language (the market's, or the one it reads as), for a screen reader's voice and its excerpts.
    if (result.lang) body.lang = result.lang; else body.removeAttribute("lang");
    drawAlso(result.also || []);
    // The findings about a picture or a video go beside it (static/media.js), the others under the text.
    // (A new post has no media card yet: there, they all stay under the text.)
    const mediaCard = document.getElementById("media-editor");
    const onMedia = mediaCard ? result.findings.filter(function (f) {
      return f.media !== null || f.rule === MEDIA_REQUIRED;
    }) : [];
    if (mediaCard) {
      document.dispatchEvent(new CustomEvent("approval:media-findings", { detail: onMedia }));
      // The saved ones drawn under the card before this check: each is beside its file now.
      const saved = document.getElementById("saved-media-findings");
      if (saved) saved.remove();
    }
    list.replaceChildren(...result.findings.filter(function (f) { return !onMedia.includes(f); }).map(function (f) {
      const li = document.createElement("li");
      li.className = "finding " + f.severity;
      const strong = document.createElement("strong");
      strong.textContent = f.severity_label;
      li.dataset.rule = f.rule;
      li.append(strong, " ", f.message, " ");
      // Which words it is about: two "A sentence starts with a capital letter." said nothing of which sentence.
      // (None for the pictures and videos the post lacks: no words of the text are at fault.)
      const at = f.media === null && f.rule !== MEDIA_REQUIRED ? excerpt(body.value, f.start, f.end) : "";
      if (at) {
        const span = document.createElement("span");
        span.className = "at";
        span.textContent = list.dataset.quote.replace("%s", at);  // in the quotation marks of the page's language
        if (body.lang) span.lang = body.lang;  // the post's words, not the page's
        li.append(span, " ");
      }
      if (list.dataset.rules) {  // the rule's id, for the admins who write the policy
        const code = document.createElement("code");
        code.textContent = f.rule;
        li.append(code);
      }
      // What the market's policy offers in place of a term, or a rule's rewrite (a single mark goes without saying).
      if (f.suggestion && f.suggestion.trim().length > 1) {
        const suggested = document.createElement("span");
        suggested.className = "suggestion";
        const mark = document.createElement("mark");
        mark.textContent = f.suggestion;
        suggested.append(list.dataset.suggested + " ", mark);
        // Put in place of the words it is about (approval.style.Finding: the text for text[start:end]).
        const apply = document.createElement("button");
        apply.type = "button";
        apply.className = "button small apply-suggestion";
        apply.textContent = list.dataset.apply || "Apply";
        apply.addEventListener("click", function () { replace(f.start, f.end, f.suggestion); });
        suggested.append(" ", apply);
        li.append(" ", suggested);
      }
      return li;
    }));
  }

  // The accounts ticked in "Also write it for", other than the one chosen above.
  function alsoBoxes() {
    return Array.from(form.querySelectorAll("input[name=also_account_ids]:checked")).filter(function (box) {
      return !box.disabled && (!account || box.value !== account.value);
    });
  }

  // Each ticked account that refuses the post as it is, with its reasons (views/posts.py, _also_refused).
  function drawAlso(also) {
    const alsoList = document.getElementById("also-findings");
    if (!alsoList) return;
    alsoList.replaceChildren(...also.flatMap(function (other) {
      return other.findings.map(function (f) {
        const li = document.createElement("li");
        li.className = "finding error";
        li.dataset.account = other.account_id;
        li.dataset.rule = f.rule;
        const strong = document.createElement("strong");
        strong.textContent = alsoList.dataset.for.replace("%s", other.account);
        li.append(strong, " ", f.message);
        return li;
      });
    }));
    alsoList.hidden = !also.length;
  }

  // A line break inside an excerpt, shown: "…de Lyon Le jour de…" glued a YouTube title to its description.
  const LINE_BREAK = " \u23ce ";

  // The words around a finding, as the post page shows them (templates/macros.html, excerpt). The offsets count
  // code points, as Python does; a JavaScript string counts UTF-16 units (an emoji is two).
  function excerpt(text, start, end, margin = 24) {
    const chars = Array.from(text);  // code points throughout: an emoji at the margin is never cut in two
    const head = chars.slice(0, start), tail = chars.slice(end);
    // From the first word boundary inside the margin (a space or a line break), to the last one.
    const blank = function (c) { return /\s/.test(c); };
    let left = head, right = tail;
    if (head.length > margin) {
      const near = head.slice(-margin), cut = near.findIndex(blank);
      left = cut >= 0 && near.slice(cut + 1).join("").trim() ? near.slice(cut + 1) : near;
    }
    if (tail.length > margin) {
      const near = tail.slice(0, margin), cut = near.findLastIndex(blank);
      right = cut > 0 && near.slice(0, cut).join("").trim() ? near.slice(0, cut) : near;
    }
    // A long span (the characters past a network's limit of a pasted article) shows its two ends around "…", as
    // the page's macro does (templates/macros.html): the box quoted every one of them.
    let span = chars.slice(start, end);
    if (span.length > 4 * margin) {
      const first = span.slice(0, 2 * margin), last = span.slice(-2 * margin);
      const cutFirst = first.findLastIndex(blank), cutLast = last.findIndex(blank);
      span = (cutFirst > 0 ? first.slice(0, cutFirst) : first).concat(
        Array.from(" … "), cutLast >= 0 && cutLast < last.length - 1 ? last.slice(cutLast + 1) : last);
    }
    // Each line's spaces made one, the lines joined by a visible mark (blank lines between them count as one).
    const shown = left.concat(span, right).join("").split(/\s*\n\s*/)
      .map(function (line) { return line.split(/\s+/).join(" ").trim(); })
      .filter(function (line) { return line; }).join(LINE_BREAK);
    return shown ? (head.length > margin ? "…" : "") + shown + (tail.length > margin ? "…" : "") : "";
  }

  // Offsets count code points, as Python does (see excerpt). The change goes through the textarea's undo history
  // where the browser offers it, and is checked again as any typing.
  function replace(start, end, text) {
    const chars = Array.from(body.value);
    const from = chars.slice(0, start).join("").length, to = chars.slice(0, end).join("").length;
    body.focus();
    body.setSelectionRange(from, to);
    if (!document.execCommand || !document.execCommand("insertText", false, text)) {
      body.setRangeText(text, from, to, "end");
    }
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function schedule() {
    localCount();
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  }

  // Until the first answer names the account's network, no other network's limit is shown.
  limitEl.textContent = "…";
  body.addEventListener("input", schedule);
  document.addEventListener("approval:media-changed", schedule);  // static/media.js: a file added, moved, removed
  if (account) account.addEventListener("change", schedule);
  if (campaign) campaign.addEventListener("change", schedule);
  form.querySelectorAll("input[name=also_account_ids]").forEach(function (box) {
    box.addEventListener("change", schedule);
  });
  localCount();
  check();
})();
