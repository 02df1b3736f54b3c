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
    // Each line's spaces made one, the lines joined by a visible mark (blank lines between them count as one).
    const shown = left.concat(chars.slice(start, end), right).join("").split(/\s*\n\s*/)
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
