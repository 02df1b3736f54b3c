// The editor's media and previews (issue 11): uploads with progress (drag and drop or the file picker), reordering
// by dragging, alternative texts, removal; the preview redrawn as the text changes. Every change is one request to
// the same endpoints the plain forms use; the page's version fields follow the post's new version. The previews'
// part (Instagram's carousel) also runs on the post's page, which loads this script from templates/posts/_previews.html:
// loaded twice on the editor's page, it runs once.
(function () {
  "use strict";
  if (window.approvalMediaScript) return;
  window.approvalMediaScript = true;
  const editor = document.getElementById("media-editor");
  const previews = document.getElementById("previews");
  const token = (document.querySelector("input[name=csrf_token]") || {}).value;

  function setVersion(version) {
    document.querySelectorAll("input[name=version]").forEach(function (input) { input.value = version; });
  }

  // Previews ------------------------------------------------------------------------------------------------------
  const body = document.querySelector("textarea[name=body]");
  let previewTimer = null;
  let previewSequence = 0;

  async function refreshPreview() {
    if (!previews || !previews.dataset.preview) return;
    const mine = ++previewSequence;
    const data = new FormData();
    data.append("csrf_token", token);
    data.append("body", body ? body.value : "");
    if (previews.dataset.post) data.append("post_id", previews.dataset.post);
    if (previews.dataset.copyOf) data.append("copy_of", previews.dataset.copyOf);  // the files a copy brings
    const picking = document.getElementById("new-media");  // and those picked on a new post's form, not sent yet
    if (picking && !previews.dataset.post) data.append("picked", picking.dataset.picked || "[]");
    const account = document.querySelector("select[name=account_id]");
    if (account) data.append("account_id", account.value);
    const response = await fetch(previews.dataset.preview, { method: "POST", body: data, credentials: "same-origin" });
    if (!response.ok || mine !== previewSequence) return;
    const shown = document.querySelector("#previews [data-slides]");
    const slide = shown ? Number(shown.dataset.slide || 0) : 0;
    const turning = document.activeElement && document.activeElement.closest("#previews .pv-turn");
    document.getElementById("preview-body").innerHTML = await response.text();
    document.dispatchEvent(new CustomEvent("approval:preview-drawn"));  // a new post's pictures put in (setUpPicking)
    setUpCarousels(slide);  // the slide the reader was on stays in sight as the text is typed
    if (turning) {
      const again = document.querySelector("#previews ." + (turning.classList.contains("pv-prev") ? "pv-prev" : "pv-next"));
      if (again) again.focus();
    }
    previews.dataset.updated = String(mine);
  }

  // Instagram's carousel: one slide at a time, "Previous slide" and "Next slide" turn them (the dots and the count
  // follow). At either end the button stays where it is, dimmed (aria-disabled): a disabled button would drop the
  // keyboard's focus on the page.
  function showSlide(frame, index) {
    const slides = Array.from(frame.querySelectorAll(".pv-slide"));
    const at = Math.max(0, Math.min(slides.length - 1, index));
    slides.forEach(function (slide, i) { slide.hidden = i !== at; });
    frame.dataset.slide = String(at);
    const count = frame.querySelector(".pv-count");
    if (count) count.textContent = (at + 1) + "/" + slides.length;
    const dots = frame.parentElement.querySelectorAll(".pv-dots span");
    dots.forEach(function (dot, i) { dot.classList.toggle("on", i === at); });
    const prev = frame.querySelector(".pv-prev"), next = frame.querySelector(".pv-next");
    if (prev) prev.setAttribute("aria-disabled", String(at === 0));
    if (next) next.setAttribute("aria-disabled", String(at === slides.length - 1));
  }

  function setUpCarousels(slide) {
    document.querySelectorAll("#previews [data-slides]").forEach(function (frame) {
      frame.querySelectorAll(".pv-turn").forEach(function (turn) { turn.hidden = false; });
      showSlide(frame, slide || 0);
    });
  }

  if (previews) {
    setUpCarousels(0);
    previews.addEventListener("click", function (event) {
      const turn = event.target.closest(".pv-turn");
      if (!turn) return;
      const frame = turn.closest("[data-slides]");
      if (turn.getAttribute("aria-disabled") === "true") return;
      showSlide(frame, Number(frame.dataset.slide || 0) + (turn.classList.contains("pv-prev") ? -1 : 1));
    });
  }

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreview, 250);
  }

  if (body && previews && previews.dataset.preview) {
    body.addEventListener("input", schedulePreview);
    const account = document.querySelector("select[name=account_id]");
    if (account) account.addEventListener("change", schedulePreview);
    if (!previews.dataset.post) schedulePreview();
  }

  const picking = document.getElementById("new-media");
  if (picking) setUpPicking(picking);

  if (!editor) return;

  // The media list --------------------------------------------------------------------------------------------------
  // A video's length in the page's language ("2.0 s", "2,0 s"), as the server writes it.
  const seconds = new Intl.NumberFormat(document.documentElement.lang || undefined,
                                        { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const list = document.getElementById("media-list");
  const uploads = document.getElementById("media-uploads");
  const findings = document.getElementById("media-findings");
  const arrangeForm = document.getElementById("media-arrange");

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(function ([key, value]) {
      if (key === "text") node.textContent = value; else node.setAttribute(key, value);
    });
    (children || []).forEach(function (child) { node.append(child); });
    return node;
  }

  function button(name, value, label, cls, title) {
    const b = el("button", { type: "submit", name: name, value: value, class: "button " + (cls || "") , text: label });
    if (title) { b.title = title; b.setAttribute("aria-label", title); }
    return b;
  }

  // Which control of which file has the keyboard's focus ("12:alt", "12:up"), to give it back once the list is
  // drawn again; null when the focus is elsewhere.
  function focusedControl() {
    const active = document.activeElement;
    const item = active && active.closest ? active.closest("#media-list .media-item") : null;
    if (!item) return null;
    const key = active.classList.contains("media-alt") ? "alt" : active.classList.contains("media-thumb") ? "thumb"
      : active.name;
    return { id: item.dataset.id, key: key, start: active.selectionStart, end: active.selectionEnd };
  }

  function control(item, key) {
    if (key === "alt") return item.querySelector(".media-alt");
    if (key === "thumb") return item.querySelector(".media-thumb");
    return item.querySelector("button[name=" + key + "]");
  }

  // The list drawn again from the server's state (an upload, a move, a removal...). What the person typed and has
  // not saved yet stays in its field, by file: an upload finishing while a text was being typed wiped it. The focus
  // stays on the control it was on (``focus``: where a move or a removal sends it instead): replacing the list
  // dropped it on the page.
  function redraw(state, focus) {
    const typed = {};
    list.querySelectorAll(".media-alt").forEach(function (alt) {
      if (alt.value !== alt.defaultValue) typed[alt.closest(".media-item").dataset.id] = alt.value;
    });
    const had = focus || focusedControl();
    setVersion(state.version);
    showState(state);
    const last = state.media.length - 1;
    list.replaceChildren(...state.media.map(function (m, index) {
      // The link's name says what it opens (its picture has an empty alt): "Open picture 2 (stade.jpg)".
      const opens = (m.name ? editor.dataset["open" + m.kind] : editor.dataset["open" + m.kind + "Unnamed"]) || "";
      const thumb = el("a", { href: m.url, class: "media-thumb",
                              "aria-label": opens.replace("{n}", index + 1).replace("{name}", m.name || "") },
                       m.thumbnail ? [el("img", { src: m.thumbnail, alt: "" })] : []);
      // An alternative text only where the network shows one (none for a video, none on YouTube or Snapchat).
      let described;
      if (editor.dataset["alt" + m.kind]) {
        const alt = el("textarea", { name: "alt-" + m.id, rows: "2", maxlength: "1000", class: "media-alt" });
        alt.defaultValue = m.alt;  // what is saved: an edit beyond it is unsaved (see altTextsUnsaved)
        if (Object.prototype.hasOwnProperty.call(typed, String(m.id))) alt.value = typed[String(m.id)];
        described = el("label", {}, [editor.dataset.altLabel || "Alternative text", alt]);
      } else {
        described = el("span", { class: "muted media-no-alt", text: editor.dataset["noalt" + m.kind] || "" });
      }
      const meta = el("div", { class: "media-meta" }, [
        el("span", { class: "muted" }, [(editor.dataset["kind" + m.kind] || m.kind) + " · " + m.mime + " · " +
                     m.width + "×" + m.height + (m.duration_s ? " · " + seconds.format(m.duration_s) + "\u00a0s" : "") +
                     " · ", el("span", { class: "media-size", text: m.size })]),
        described,
        el("ul", { class: "findings", "aria-live": "polite" }),
      ]);
      const up = button("up", m.id, "↑", "", editor.dataset.upLabel || "Move up");
      const down = button("down", m.id, "↓", "", editor.dataset.downLabel || "Move down");
      up.disabled = index === 0;  // the first goes no higher, the last no lower
      down.disabled = index === last;
      const buttons = el("div", { class: "media-buttons" }, [
        up, down, button("remove", m.id, editor.dataset.removeLabel || "Remove", "danger media-remove"),
      ]);
      const item = el("li", { class: "media-item", draggable: "true", "data-id": m.id },
                      [el("input", { type: "hidden", name: "item", value: m.id }), thumb, meta, buttons]);
      return item;
    }));
    restoreFocus(had);
    const none = document.getElementById("media-none");
    if (none) none.hidden = state.media.length > 0;
    const save = document.getElementById("media-save");
    if (save) save.hidden = state.media.length === 0;
    placeFindings(state.findings);
    editor.dataset.version = state.version;
    const revision = document.getElementById("preview-revision");
    if (revision && state.revision) revision.textContent = revision.dataset.label.replace("{n}", state.revision);
    refreshPreview();
    // The checks under the text count the media too (static/editor.js): they are asked again.
    document.dispatchEvent(new CustomEvent("approval:media-changed"));
  }

  // The focus back where it was: the same control of the same file (a move's button on the file moved; at the
  // list's end, where that button is disabled, the other one), else ``to`` (after a removal: the file that took the
  // removed one's place, or the one before it, or the card's heading when none is left).
  function restoreFocus(had) {
    if (!had) return;
    const item = had.id !== undefined && had.id !== null ? list.querySelector(".media-item[data-id='" + had.id + "']")
      : null;
    let target = null;
    if (item) {
      target = control(item, had.key);
      if (target && target.disabled) target = control(item, had.key === "up" ? "down" : "up");
      if (target && target.disabled) target = control(item, "remove");
    } else if (had.removedAt !== undefined) {
      const items = list.querySelectorAll(".media-item");
      const next = items[Math.min(had.removedAt, items.length - 1)];
      target = next ? control(next, "thumb") : document.getElementById("media-heading");
    }
    if (!target) return;
    target.focus();
    if (had.key === "alt" && typeof had.start === "number") target.setSelectionRange(had.start, had.end);
  }

  // What a change did to the post: its new state in the page's title (an approved post goes back to review when its
  // media change), and the server's words about it.
  function showState(state) {
    const badge = document.querySelector("h1 .state");
    if (badge && state.state) {
      badge.className = "state state-" + state.state;
      badge.textContent = state.state_label || state.state;
    }
    const status = document.getElementById("media-status");
    if (status && state.message) {
      status.textContent = state.message;
      status.hidden = false;
    }
  }

  // Each finding about a file under that file (numbered as the findings number them), the others (no media yet)
  // at the end of the card; the live check (static/editor.js) sends them again as the text changes.
  function placeFindings(all) {
    const items = Array.from(list.querySelectorAll(".media-item"));
    items.forEach(function (item) { item.querySelector(".findings").replaceChildren(); });
    const general = [];
    all.forEach(function (f) {
      // As under the text (templates/macros.html): the message, the rule's id for the admins who write the policy.
      const line = el("li", { class: "finding " + f.severity, "data-rule": f.rule }, [
        el("strong", { text: f.severity_label || f.severity }), " " + f.message]);
      if (editor.dataset.rules) line.append(" ", el("code", { text: f.rule }));
      const item = f.media !== null && f.media !== undefined ? items[f.media] : null;
      if (item) item.querySelector(".findings").append(line); else general.push(line);
    });
    findings.replaceChildren(...general);
  }
  document.addEventListener("approval:media-findings", function (event) { placeFindings(event.detail); });

  function showError(message) {
    uploads.append(el("li", { class: "error", text: message }));
  }

  async function answerOf(response) {
    try { return await response.json(); } catch (error) { return { message: response.statusText }; }
  }

  // Arrange: order, alternative texts, removal, through the arrange form's endpoint; true when it was saved.
  async function arrange(extra, focus) {
    const data = new FormData(arrangeForm);
    Object.entries(extra || {}).forEach(function ([key, value]) { data.append(key, value); });
    const response = await fetch(editor.dataset.arrange, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-Requested-With": "fetch" },
    });
    const state = await answerOf(response);
    if (!response.ok) { showError(state.message); return false; }
    redraw(state, focus);
    return true;
  }

  // Alternative texts typed but not saved yet: saved before the text is (the post's form), and a warning before the
  // page is left without them.
  function altTextsUnsaved() {
    return Array.from(list.querySelectorAll(".media-alt")).some(function (alt) {
      return alt.value !== alt.defaultValue;
    });
  }

  const postForm = document.querySelector("form.editor");
  let leaving = false;
  if (postForm) {
    postForm.addEventListener("submit", async function (event) {
      if (leaving || !altTextsUnsaved()) { leaving = true; return; }
      event.preventDefault();
      const submitter = event.submitter;
      if (await arrange()) {
        leaving = true;
        postForm.requestSubmit(submitter);  // the form's version field now holds the version the texts made
      }
    });
  }
  window.addEventListener("beforeunload", function (event) {
    if (!leaving && altTextsUnsaved()) event.preventDefault();
  });

  arrangeForm.addEventListener("submit", function (event) {
    event.preventDefault();
    const submitter = event.submitter;
    if (submitter && submitter.name === "remove" && editor.dataset.removeConfirm &&
        !window.confirm(editor.dataset.removeConfirm)) return;
    // Where the keyboard goes once the list is drawn again: the same button of the file moved; after a removal, the
    // file that takes its place.
    let focus;
    if (submitter && (submitter.name === "up" || submitter.name === "down")) {
      focus = { id: submitter.value, key: submitter.name };
    } else if (submitter && submitter.name === "remove") {
      const items = Array.from(list.querySelectorAll(".media-item"));
      focus = { id: null, removedAt: items.indexOf(submitter.closest(".media-item")) };
    }
    arrange(submitter && submitter.name ? { [submitter.name]: submitter.value } : {}, focus);
  });

  let dragged = null;
  list.addEventListener("dragstart", function (event) {
    dragged = event.target.closest(".media-item");
    if (!dragged) return;
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.id);
  });
  list.addEventListener("dragover", function (event) {
    if (!dragged) return;
    event.preventDefault();
    const over = event.target.closest(".media-item");
    if (over && over !== dragged) {
      const box = over.getBoundingClientRect();
      list.insertBefore(dragged, event.clientY < box.top + box.height / 2 ? over : over.nextSibling);
    }
  });
  list.addEventListener("dragend", function () {
    if (!dragged) return;
    dragged.classList.remove("dragging");
    dragged = null;
    arrange();
  });

  // Uploads: the files of a drop, or of one pick, go up together in one request, as the plain form sends them: one
  // new revision for them all (an approved post goes back to review once), one bar for the request's progress. One
  // file refused refuses them all: the answer names it (among several) and says why, and nothing was added.
  const drop = document.getElementById("media-drop");
  const picker = document.getElementById("media-file");
  const separator = editor.dataset.separator || ": ";
  // Drops follow one another: each is sent with the version the one before made (sent together, the second was a
  // conflict with the first).
  let sending = Promise.resolve();

  function upload(files) {
    return new Promise(function (resolve) {
      const names = files.map(function (file) { return file.name; }).join(", ");
      const words = el("span", { class: "upload-words",
                                 text: (editor.dataset.sending || "{names}").split("{names}").join(names) });
      const bar = el("progress", { max: "100", value: "0",
                                   "aria-label": editor.dataset.progressLabel || "Upload progress" });
      const row = el("li", {}, [words, " ", bar]);
      uploads.append(row);
      const data = new FormData();
      data.append("csrf_token", token);
      data.append("version", editor.dataset.version || document.querySelector("input[name=version]").value);
      files.forEach(function (file) { data.append("file", file, file.name); });
      const request = new XMLHttpRequest();
      request.open("POST", editor.dataset.upload);
      request.setRequestHeader("Accept", "application/json");
      request.setRequestHeader("X-Requested-With", "fetch");
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) bar.value = Math.round(100 * event.loaded / event.total);
      });
      request.addEventListener("load", function () {
        let answer = {};
        try { answer = JSON.parse(request.responseText); } catch (error) { answer = { message: request.statusText }; }
        // A success that carries no media list is not the editor's answer (an expired session's login page, followed
        // to a 200): nothing is known to be added, and the row says to reload the page and look.
        const added = request.status >= 200 && request.status < 300 && Array.isArray(answer.media);
        try {
          if (added) {
            bar.value = 100;
            row.classList.add("done");
            words.textContent = names + (answer.message ? separator + answer.message : "");
            // Said once, in the upload's row beside the files' names: not again in the card's status line, which
            // says what the last move, removal or save of the list did (and no longer holds).
            const status = document.getElementById("media-status");
            if (status) status.hidden = true;
            redraw(Object.assign({}, answer, { message: null }));
          } else if (request.status >= 200 && request.status < 300) {
            bar.remove();
            row.classList.add("error");
            row.replaceChildren(names + separator + (editor.dataset.unsent || "✗"));
          } else {
            bar.remove();  // a full bar beside a refusal reads as a success
            row.classList.add("error");
            // "notes.jpg: This is neither…", the file's name parted from the reason as the page's language parts them;
            // among several, the server's words name the file refused ("b.jpg (file 2 of 3): …").
            // A refusal of the whole drop (a conflict, the post's cap) names none: the row names the files. One about
            // a file starts with its name and its place: "abime.jpg (file 2 of 3): …".
            const reason = answer.message || request.statusText;
            const named = files.length > 1 && files.some(function (file) { return reason.indexOf(file.name + " (") === 0; });
            row.replaceChildren(named ? reason : names + separator + reason);
          }
        } finally {
          resolve();  // whatever happened to this drop, the next one goes
        }
      });
      request.addEventListener("error", function () {
        bar.remove();
        row.classList.add("error");
        row.replaceChildren(names + separator + (editor.dataset.unsent || "✗"));
        resolve();
      });
      request.send(data);
    });
  }

  // The pictures of a drop go together (a request carries a post's pictures at their cap); a video goes alone, as
  // one request carries one video at most: two large videos in one request were refused as a whole.
  function uploadAll(files) {
    const videos = files.filter(function (file) { return /^video\//.test(file.type); });
    const pictures = files.filter(function (file) { return !/^video\//.test(file.type); });
    [pictures].concat(videos.map(function (video) { return [video]; })).forEach(function (batch) {
      if (batch.length) sending = sending.then(function () { return upload(batch); });
    });
  }

  editor.dataset.version = document.querySelector("input[name=version]").value;
  picker.addEventListener("change", function () { uploadAll(Array.from(picker.files)); picker.value = ""; });
  document.getElementById("media-upload-button").hidden = true;
  // Files go up as soon as they are chosen, several at once: one text typed before would describe the first only.
  // Each file is described in the list, where it lands.
  // (Neither is there when the network shows no alternative text.)
  const altField = document.getElementById("media-alt-field");
  const altHint = document.getElementById("media-alt-hint");
  if (altField) altField.hidden = true;
  if (altHint) altHint.hidden = false;
  // Where a mouse can drag files here, the zone says so ("Drop pictures… here, or choose files"); on a touch screen
  // it keeps offering to choose them (nothing can be dropped there).
  if (window.matchMedia && window.matchMedia("(hover: hover) and (pointer: fine)").matches) {
    const dropWords = document.getElementById("media-drop-words");
    const chooseWords = document.getElementById("media-choose-words");
    const choose = document.getElementById("media-choose");
    if (dropWords && chooseWords) { dropWords.hidden = false; chooseWords.hidden = true; }
    if (choose && choose.dataset.drop) choose.textContent = choose.dataset.drop;
  }
  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (event) {
      if (dragged) return;
      event.preventDefault();
      drop.classList.add("over");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    drop.addEventListener(name, function () { drop.classList.remove("over"); });
  });
  // A folder dropped among files is no file to send (the browser lists it as one, and its request failed the whole
  // drop): the files go, and a row says the folder was left out.
  function isFolder(transfer) {  // by place: the items of kind "file" are the files, in the same order
    const items = Array.from(transfer.items || []).filter(function (item) { return item.kind === "file"; });
    return function (file, index) {
      const entry = items[index] && items[index].webkitGetAsEntry ? items[index].webkitGetAsEntry() : null;
      return Boolean(entry && entry.isDirectory);
    };
  }

  drop.addEventListener("drop", function (event) {
    if (dragged) return;
    event.preventDefault();
    const files = Array.from(event.dataTransfer.files);
    const folder = isFolder(event.dataTransfer);
    const left = files.filter(folder);
    if (left.length) {
      const names = left.map(function (file) { return file.name; }).join(", ");
      uploads.append(el("li", { class: "error", text: (editor.dataset.folder || "{names}").split("{names}").join(names) }));
    }
    uploadAll(files.filter(function (file, index) { return !folder(file, index); }));
  });

  // The new post's files ------------------------------------------------------------------------------------------
  // Picked with the text and sent with it, by the form itself (templates/media/_pick.html): the file field holds
  // every file picked or dropped, in order, and each has its alternative text beside its name and thumbnail (a
  // picture's, drawn here: no file leaves the browser before the form is sent). The live check and the preview are
  // told what is known of them (``picked``: type, size, sides, alternative text). Without a script, or in a browser
  // that cannot fill a file field, the field works as it is, its one text describing the first file.
  function setUpPicking(zone) {
    const input = document.getElementById("new-media-file");
    const listed = document.getElementById("new-media-picked");
    const status = document.getElementById("new-media-status");
    const single = document.getElementById("new-media-alt-field");
    const account = document.querySelector("select[name=account_id]");
    const form = input ? input.form : null;
    if (!input || !listed || !status || !form || typeof DataTransfer === "undefined") return;
    try { input.files = new DataTransfer().files; } catch (error) { return; }  // a field that cannot be filled
    const networks = JSON.parse(zone.dataset.networks || "{}");
    const each = JSON.parse(zone.dataset.each || "{}");
    const room = Number(zone.dataset.maxFiles || 20) - Number(zone.dataset.copied || 0);
    const figures = new Intl.NumberFormat(document.documentElement.lang || undefined, { maximumFractionDigits: 1 });
    const picked = [];  // { file, alt, width, height, thumb, shown, node }

    if (single) {
      single.hidden = true;
      single.querySelector("input").disabled = true;  // each file's own text goes instead, one per file
    }
    const dropWords = document.getElementById("new-media-drop-words");
    if (dropWords && window.matchMedia && window.matchMedia("(hover: hover) and (pointer: fine)").matches) {
      dropWords.hidden = false;
    }

    function chosen() { return each[account ? networks[account.value] : ""] || {}; }
    function kind(file) { return /^video\//.test(file.type) ? "video" : "image"; }

    function say(message) {
      status.textContent = message || "";
      status.hidden = !message;
    }

    // What the live check and the preview know of the files (static/editor.js reads it too).
    function describe() {
      zone.dataset.picked = JSON.stringify(picked.map(function (p) {
        return { type: p.file.type, bytes: p.file.size, width: p.width, height: p.height, alt: p.alt };
      }));
      document.dispatchEvent(new CustomEvent("approval:media-changed"));
    }

    // The field holds the files listed, in their order: it is what the form sends.
    function fill() {
      const transfer = new DataTransfer();
      picked.forEach(function (p) { transfer.items.add(p.file); });
      input.files = transfer.files;
    }

    // One file's row: its thumbnail, its name, kind and size, its alternative text where the network shows one (a
    // hidden empty one elsewhere: the form sends one text per file, in order), and a button to leave it out.
    function row(entry) {
      const network = chosen();
      let described;
      if (network["alt_" + kind(entry.file)]) {
        const alt = el("input", { type: "text", name: "alt", maxlength: "1000", class: "picked-alt" });
        alt.value = entry.alt;
        alt.addEventListener("input", function () { entry.alt = alt.value; describe(); });
        described = el("label", {}, [(zone.dataset.altLabel || "Alternative text") + " ", alt]);
      } else {
        described = el("span", { class: "muted picked-no-alt" }, [
          el("input", { type: "hidden", name: "alt", value: "" }),
          (zone.dataset.noalt || "").split("{network}").join(network.name || "")]);
      }
      // The lesser action beside the file: a plain button, not the page's orange one.
      const leave = el("button", { type: "button", class: "button picked-remove",
                                   text: zone.dataset.removeLabel || "Leave out",
                                   "aria-label": (zone.dataset.removeLabel || "Leave out") + " " + entry.file.name });
      leave.addEventListener("click", function () {
        const at = picked.indexOf(entry);
        picked.splice(at, 1);
        entry.node.remove();
        fill();
        say("");
        describe();
        const next = picked[Math.min(at, picked.length - 1)];
        (next ? next.node.querySelector(".picked-remove") : input).focus();
      });
      const size = entry.file.size >= 1048576 ? figures.format(entry.file.size / 1048576) + "\u00a0MB"
        : figures.format(Math.max(1, Math.round(entry.file.size / 1024))) + "\u00a0KB";
      return el("li", { class: "picked-item" }, [
        entry.thumb || el("span", { class: "picked-thumb none", "aria-hidden": "true" }),
        el("div", { class: "picked-meta" }, [
          el("strong", { class: "picked-name", text: entry.file.name }),
          el("span", { class: "muted", text: " · " + (zone.dataset["kind" + kind(entry.file)] || kind(entry.file)) +
                                             " · " + size }),
          el("br"), described]),
        leave]);
    }

    // A picture's thumbnail and sides, decoded here (the page's policy loads no picture from the browser's memory
    // by its address: it is drawn on a canvas instead). A video's are known once the form is sent.
    function measure(entry) {
      if (kind(entry.file) !== "image" || typeof createImageBitmap !== "function") return;
      createImageBitmap(entry.file).then(function (bitmap) {
        entry.width = bitmap.width;
        entry.height = bitmap.height;
        const scale = Math.min(1, 96 / Math.max(bitmap.width, bitmap.height));
        const canvas = el("canvas", { width: String(Math.max(1, Math.round(bitmap.width * scale))),
                                      height: String(Math.max(1, Math.round(bitmap.height * scale))),
                                      class: "picked-thumb", "aria-hidden": "true" });
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        entry.shown = shown(bitmap, entry.file.type);
        bitmap.close();
        entry.node.querySelector(".picked-thumb").replaceWith(canvas);
        entry.thumb = canvas;
        if (picked.includes(entry)) describe();
      }).catch(function () { /* a type this browser cannot decode: no thumbnail, its sides unknown */ });
    }

    // The picture as the preview shows it, before it is sent: an address of its own (data:, which the page's policy
    // takes; a blob: address it refuses), at most PREVIEW_SIDE pixels a side. A transparent picture stays one.
    const PREVIEW_SIDE = 1080;
    function shown(bitmap, type) {
      const scale = Math.min(1, PREVIEW_SIDE / Math.max(bitmap.width, bitmap.height));
      const canvas = el("canvas", { width: String(Math.max(1, Math.round(bitmap.width * scale))),
                                    height: String(Math.max(1, Math.round(bitmap.height * scale))) });
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return /^image\/(png|gif|webp)$/.test(type) ? canvas.toDataURL("image/png")
        : canvas.toDataURL("image/jpeg", 0.85);
    }

    // The preview drew each picked file as a striped placeholder (the server has not seen it): its pictures go in.
    // They are the last placeholders, in the order picked, after a copy's files it has no picture of; a video's
    // (its play mark beside it) stays one.
    function intoPreview() {
      const spots = Array.from(document.querySelectorAll("#preview-body .pv-placeholder"));
      const first = Math.max(0, spots.length - picked.length);
      spots.slice(first).forEach(function (spot, index) {
        const entry = picked[index];
        const video = spot.nextElementSibling && spot.nextElementSibling.classList.contains("pv-play");
        if (!entry || !entry.shown || video || kind(entry.file) !== "image") return;
        const img = el("img", { class: spot.className.replace("pv-placeholder", "").trim(), src: entry.shown,
                                alt: spot.getAttribute("aria-label") || "" });
        spot.replaceWith(img);
      });
    }
    document.addEventListener("approval:preview-drawn", intoPreview);

    // A file that is no picture nor video is left out as it is picked, named, the others staying picked: sent, the
    // server refused the whole form for it, and a browser cannot put the files back in the field. Such is a file of
    // a type no account of the person's takes (a text, a PDF: the type the browser gives it by its name), and one
    // named as a picture that does not start as one (approval/media/inspect.py, looks_like_picture: a PDF renamed
    // ".jpg"). A file the browser gives no type, or a video's, goes for the server to read (a picture without its
    // extension; the containers a video comes in).
    const readable = Object.values(each).flatMap(function (words) {
      return String(words.accept || "").split(",").filter(Boolean);
    });
    const leftOut = document.getElementById("new-media-left-out");
    function startsAsPicture(bytes) {
      const at = function (offset, text) {
        return Array.from(text).every(function (c, i) { return bytes[offset + i] === c.charCodeAt(0); });
      };
      return (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) || at(0, "\x89PNG\r\n\x1a\n")
        || at(0, "GIF87a") || at(0, "GIF89a") || (at(0, "RIFF") && at(8, "WEBP"));
    }
    async function notMedia(file) {
      if (/^video\//.test(file.type)) return false;  // its container's names vary (video/x-m4v): the server reads it
      if (file.type && readable.length && !readable.includes(file.type)) return true;
      if (!/^image\//.test(file.type)) return false;
      try {
        return !startsAsPicture(new Uint8Array(await file.slice(0, 12).arrayBuffer()));
      } catch (error) {
        return false;  // not readable here: the server says
      }
    }
    function leftOutWords(names) {
      const words = leftOut ? (names.length > 1 ? leftOut.dataset.many : leftOut.dataset.one) : "";
      return (words || "{names}").split("{names}").join(names.join(", "));
    }

    // Files added after those picked already (a second pick, a drop): none twice, none past what a post carries,
    // none that is not a picture or a video; ``also``: what else to say of them (a folder dropped with them).
    async function add(files, also) {
      const strange = await Promise.all(files.map(notMedia));
      let refused = "";
      const strangers = [];
      files.forEach(function (file, index) {
        if (picked.some(function (p) {
          return p.file.name === file.name && p.file.size === file.size && p.file.lastModified === file.lastModified;
        })) return;
        if (strange[index]) { strangers.push(file.name); return; }
        if (picked.length >= room) { refused = zone.dataset.tooMany || ""; return; }
        const entry = { file: file, alt: "", width: 0, height: 0, thumb: null, node: null };
        entry.node = row(entry);
        picked.push(entry);
        listed.append(entry.node);
        measure(entry);
      });
      say([strangers.length ? leftOutWords(strangers) : "", refused, also || ""].filter(Boolean).join(" "));
      fill();
      describe();
    }

    // Another account chosen: what its network takes, and its alternative texts (the texts typed stay).
    function showNetwork() {
      const network = account ? networks[account.value] : null;
      document.querySelectorAll("#new-media-takes li").forEach(function (line) {
        line.hidden = Boolean(network) && line.dataset.network !== network;
      });
      if (chosen().accept) input.accept = chosen().accept;
      picked.forEach(function (entry) {
        const again = row(entry);
        entry.node.replaceWith(again);
        entry.node = again;
      });
    }

    input.addEventListener("change", function () { add(Array.from(input.files)); });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        if (!event.dataTransfer || !Array.from(event.dataTransfer.types || []).includes("Files")) return;
        event.preventDefault();
        zone.classList.add("over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (event) {
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      event.preventDefault();
      const files = Array.from(event.dataTransfer.files);
      const items = Array.from(event.dataTransfer.items || []).filter(function (item) { return item.kind === "file"; });
      const folders = files.filter(function (file, index) {  // a folder is no file to send
        const entry = items[index] && items[index].webkitGetAsEntry ? items[index].webkitGetAsEntry() : null;
        return Boolean(entry && entry.isDirectory);
      });
      add(files.filter(function (file) { return !folders.includes(file); }), folders.length
        ? (zone.dataset.folder || "{names}").split("{names}").join(folders.map(function (f) { return f.name; })
          .join(", ")) : "");
    });
    // Files more than one form carries are not sent: the server refuses such a body before reading it, and the text
    // would not come back with its refusal. The body is reckoned as the browser will send it (each file with its
    // part's headers, each field with its own, the text in UTF-8), against the cap the page was given; the files to
    // leave out are named, the largest first until the rest fits, and their rows marked. Nothing leaves the page.
    const encoder = new TextEncoder();
    const PART_BYTES = 160;  // a part's boundary and headers, its name and file name apart
    const CLOSING_BYTES = 64;  // the body's last boundary
    function bodyBytes() {
      let total = CLOSING_BYTES;
      new FormData(form).forEach(function (value, name) {
        total += PART_BYTES + encoder.encode(name).length;
        // A text field's line breaks go out as CR LF, whatever the text area holds.
        total += value instanceof File ? value.size + encoder.encode(value.name).length
          : encoder.encode(String(value).replace(/\r\n|\r|\n/g, "\r\n")).length;
      });
      return total;
    }
    form.addEventListener("submit", function (event) {
      listed.querySelectorAll(".picked-item.too-large").forEach(function (item) {
        item.classList.remove("too-large");
      });
      const limit = Number(zone.dataset.bodyBytes || 0);
      const total = bodyBytes();
      if (!limit || total <= limit) return;
      event.preventDefault();  // static/forms.js leaves a prevented form alone: it is not marked as sending
      const leave = [];
      let left = total;
      picked.slice().sort(function (a, b) { return b.file.size - a.file.size; }).forEach(function (entry) {
        if (left <= limit) return;
        leave.push(entry);
        left -= entry.file.size + PART_BYTES;
      });
      leave.forEach(function (entry) { entry.node.classList.add("too-large"); });
      const megabytes = function (n) { return figures.format(Math.ceil(n / 1048576 * 10) / 10); };
      const names = leave.map(function (entry) { return entry.file.name; }).join(", ");
      say((zone.dataset.leaveOut || zone.dataset.tooLarge || "").split("{size}").join(megabytes(total))
        .split("{limit}").join(megabytes(limit)).split("{names}").join(names));
      status.scrollIntoView({ block: "center" });
      const first = leave.length ? leave[0].node.querySelector(".picked-remove") : null;
      if (first) first.focus();
    });
    if (account) account.addEventListener("change", showNetwork);
    document.addEventListener("approval:media-changed", schedulePreview);
    showNetwork();
  }
})();
