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
  const token = form.querySelector("input[name=csrf_token]").value;
  let timer = null;
  let sequence = 0;

  function localCount() {
    lengthEl.textContent = Array.from(body.value).length;
  }

  async function check() {
    const mine = ++sequence;
    const data = new FormData();
    data.append("body", body.value);
    data.append("account_id", account ? account.value : body.dataset.account);
    data.append("campaign_id", campaign ? campaign.value : body.dataset.campaign || "");
    data.append("csrf_token", token);
    const response = await fetch(body.dataset.check, { method: "POST", body: data, credentials: "same-origin" });
    if (!response.ok || mine !== sequence) return;
    const result = await response.json();
    lengthEl.textContent = result.length;
    limitEl.textContent = result.limit === null ? "–" : result.limit;
    networkEl.textContent = result.network ? "(" + result.network + ")" : "";
    lengthEl.parentElement.classList.toggle("over", result.limit !== null && result.length > result.limit);
    list.replaceChildren(...result.findings.map(function (f) {
      const li = document.createElement("li");
      li.className = "finding " + f.severity;
      const strong = document.createElement("strong");
      strong.textContent = f.severity_label;
      const code = document.createElement("code");
      code.textContent = f.rule;
      li.append(strong, " ", code, " ", f.message);
      return li;
    }));
  }

  function schedule() {
    localCount();
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  }

  body.addEventListener("input", schedule);
  if (account) account.addEventListener("change", schedule);
  if (campaign) campaign.addEventListener("change", schedule);
  localCount();
  check();
})();
