// SPARK web app: sign in with a key, stream a generation over SSE (fetch + ReadableStream,
// since EventSource can neither POST nor send headers), show files, diagnostics, usage and
// downloads. Every server text reaches the page through textContent, never as HTML.
"use strict";
(function () {
  const KEY_SLOT = "spark.key";          // sessionStorage: gone when the tab closes
  const HISTORY_SLOT = "spark.history";  // localStorage: prompts only, never a key
  const FORMAT_SLOT = "spark.format";
  const PROVIDER_SLOT = "spark.provider";
  const UNITY_SLOT = "spark.unity";
  const HISTORY_MAX = 12;

  const $ = (id) => document.getElementById(id);
  const el = (tag, props, ...children) => {
    const e = document.createElement(tag);
    if (props) for (const [k, v] of Object.entries(props)) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role") e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children) if (c != null) e.append(c);
    return e;
  };

  const ui = {
    signin: $("signin"), signinForm: $("signin-form"), apikey: $("apikey"), signinError: $("signin-error"),
    account: $("account"), who: $("who"), signout: $("signout"), app: $("app"),
    form: $("generate-form"), prompt: $("prompt"), format: $("format"), rounds: $("rounds"), nocache: $("nocache"),
    provider: $("provider"), unity: $("unity"),
    generate: $("generate"), stop: $("stop"), status: $("status"), message: $("message"),
    history: $("history"), clearHistory: $("clear-history"),
    tabs: $("tabs"), code: $("code"), codeBody: $("code-body"),
    diagSummary: $("diag-summary"), diagnostics: $("diagnostics"),
    roundsView: $("rounds-view"), roundsList: $("rounds-list"), usage: $("usage"),
    downloads: Array.from(document.querySelectorAll("button.download")),
  };

  // What is on screen: the raw streamed text until the result arrives, then its files.
  const view = { files: [], active: 0, raw: "", result: null, highlighted: null, controller: null, pending: false };

  // ---- key -----------------------------------------------------------------------------------
  const storedKey = () => sessionStorage.getItem(KEY_SLOT) || "";

  async function signIn(key) {
    ui.signinError.textContent = "";
    if (!/^\S{8,}$/.test(key)) {
      ui.signinError.textContent = "Paste the API key you were given (it starts with spk_).";
      ui.apikey.focus();
      return;
    }
    let res;
    try {
      res = await fetch("/v1/usage?period=month", { headers: { Authorization: "Bearer " + key }, cache: "no-store" });
    } catch (e) {
      ui.signinError.textContent = "The server cannot be reached. Check your connection and try again.";
      return;
    }
    // 403 is a valid key without the usage scope: it may still generate.
    if (res.status === 401) {
      const p = await problemOf(res);
      ui.signinError.textContent = "This key was not accepted (" + (p.reason || p.code || "unauthenticated") + ").";
      ui.apikey.focus();
      return;
    }
    sessionStorage.setItem(KEY_SLOT, key);
    ui.apikey.value = "";
    let who = "Signed in";
    if (res.ok) {
      try {
        const u = await res.json();
        if (u && u.caller) who = "Signed in as " + u.caller;
      } catch (_) { /* the label is a nicety */ }
    }
    showApp(who);
  }

  function showApp(who) {
    ui.who.textContent = who;
    ui.signin.hidden = true;
    ui.account.hidden = false;
    ui.app.hidden = false;
    ui.prompt.focus();
    loadOptions();
  }

  // ---- options the server offers ------------------------------------------------------------
  // Fills a select after its first ("server's choice") option, keeping the remembered value.
  function fill(select, items, slot) {
    const keep = select.value || localStorage.getItem(slot) || "";
    select.replaceChildren(select.options[0], ...items.map(([value, label]) => el("option", { value, text: label })));
    if ([...select.options].some((o) => o.value === keep)) select.value = keep;
  }

  async function loadOptions() {
    let o;
    try {
      const res = await fetch("/v1/options", { headers: { Authorization: "Bearer " + storedKey() }, cache: "no-store" });
      if (!res.ok) return; // the defaults still work
      o = await res.json();
    } catch (_) { return; }
    if (!o || !Array.isArray(o.providers)) return;
    const names = { anthropic: "Claude (Anthropic)", openai: "OpenAI-compatible", offline: "Offline scaffold" };
    fill(ui.provider, o.providers.map((p) => [p.name, (names[p.name] || p.name) + " · " + p.model]), PROVIDER_SLOT);
    ui.unity.options[0].textContent = "Server default (" + o.default_unity_version + ")";
    fill(ui.unity, (o.unity_versions || []).map((v) => [v, "Unity " + (v.startsWith("6000.") ? "6 (" + v + ")" : v)]), UNITY_SLOT);
  }

  function signOut(reason) {
    stopStream();
    sessionStorage.removeItem(KEY_SLOT);
    ui.app.hidden = true;
    ui.account.hidden = true;
    ui.signin.hidden = false;
    ui.signinError.textContent = reason || "";
    ui.apikey.focus();
  }

  // ---- status and messages -------------------------------------------------------------------
  function setStatus(state, text) {
    ui.status.dataset.state = state;
    ui.status.textContent = text;
  }

  function showMessage(lines, requestId) {
    ui.message.replaceChildren(...lines.map((l) => el("p", { text: l })));
    if (requestId) ui.message.append(el("p", { class: "rid", text: "Request id: " + requestId }));
    ui.message.hidden = false;
  }

  function clearMessage() {
    ui.message.hidden = true;
    ui.message.replaceChildren();
  }

  async function problemOf(res) {
    try {
      const p = await res.json();
      if (p && typeof p === "object") return p;
    } catch (_) { /* not JSON: fall through */ }
    return { status: res.status, code: res.status >= 500 ? "internal" : "invalid_request" };
  }

  const PROVIDER_DOWN = new Set(["authentication", "provider_rejected", "provider_failed", "connection",
    "stream_truncated", "malformed_response"]);
  const BUSY = new Set(["overloaded", "draining", "circuit_open", "queue_full"]);

  // Words for a person, for every error code the API documents.
  function explain(p, retryHeader) {
    const wait = Number(p.retry_after || retryHeader || 0);
    const inWait = wait > 0 ? " Try again in " + wait + (wait === 1 ? " second." : " seconds.") : " Try again later.";
    const code = p.code || "";
    if (code === "rate_limited") return ["Too many requests for this key right now." + inWait];
    if (code === "quota_exceeded") return ["This key's budget is used up for the current period." + (wait > 0 ? inWait : " Ask your administrator to raise it.")];
    if (code === "input_rejected") {
      // The detail reads "input rejected by GUARD: DETECTOR (score S): why".
      const m = /input rejected by ([\w.-]+): ([\w.-]+)/.exec(p.detail || "");
      const who = m ? "the " + m[1] + " guard (detector: " + m[2] + ")" : "a safety check";
      return ["The request was refused by " + who + ". Rephrase it and try again.", p.detail || ""].filter(Boolean);
    }
    if (code === "input_too_large") return ["The request is too long. Shorten it and try again."];
    if (code === "unauthenticated") return ["Your key was not accepted (" + (p.reason || "unauthenticated") + "). Sign in again."];
    if (code === "forbidden") return ["This key is not allowed to do that.", p.detail || ""].filter(Boolean);
    if (PROVIDER_DOWN.has(code) || p.status === 502) return ["The model provider is not answering properly right now." + inWait];
    if (BUSY.has(code) || p.status === 503) return ["The service is busy or restarting." + inWait];
    if (code === "timeout") return ["The generation took too long and was stopped. Try a simpler request."];
    if (code === "no_code") return ["The model answered without any C# code. Rephrase the request."];
    if (code === "validation_failed") return ["The generated code still had errors after the repair rounds.", p.detail || ""].filter(Boolean);
    if (code === "output_blocked") return ["The generated code was held back by the security policy.", p.detail || ""].filter(Boolean);
    if (code === "invalid_request" || code === "invalid_argument") return ["The request was not accepted: " + (p.detail || "invalid request") + "."];
    return ["Something went wrong" + (p.detail ? ": " + p.detail : ".")];
  }

  function fail(p, retryHeader) {
    setStatus("error", p.code === "rate_limited" ? "Rate limited." : "Failed.");
    showMessage(explain(p, retryHeader), p.request_id);
    ui.message.dataset.code = p.code || "";
    if (p.code === "unauthenticated") signOut(explain(p)[0]);
  }

  // ---- code view -----------------------------------------------------------------------------
  let renderQueued = false;
  function scheduleRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => { renderQueued = false; renderCode(); });
  }

  function currentText() {
    return view.files.length ? view.files[view.active].content : view.raw;
  }

  function renderCode() {
    const text = currentText();
    const lines = window.SparkHighlight ? window.SparkHighlight.highlight(text) : text.split("\n").map((l) => [["", l]]);
    const frag = document.createDocumentFragment();
    lines.forEach((tokens, i) => {
      const line = el("span", { class: "line", id: "L" + (i + 1), "data-line": String(i + 1), tabIndex: -1 },
        el("span", { class: "ln", "aria-hidden": "true", text: String(i + 1) }));
      for (const [kind, s] of tokens) line.append(kind ? el("span", { class: kind, text: s }) : document.createTextNode(s));
      line.append("\n");
      frag.append(line);
    });
    ui.codeBody.replaceChildren(frag);
    if (view.pending && text.length > 0) {
      view.pending = false;
      performance.mark("spark-first-char");
      performance.measure("spark-first-char", "spark-generate", "spark-first-char");
    }
    if (view.highlighted) applyHighlight();
  }

  function renderTabs() {
    const names = view.files.length ? view.files.map((f) => f.path) : (view.raw ? ["reply (streaming)"] : []);
    ui.tabs.replaceChildren(...names.map((name, i) => el("button", {
      type: "button", role: "tab", id: "tab-" + i, text: name, "aria-selected": String(i === view.active),
      "aria-controls": "code", tabIndex: i === view.active ? 0 : -1, "data-index": String(i),
    })));
    ui.code.setAttribute("aria-labelledby", names.length ? "tab-" + view.active : "result-title");
  }

  function selectTab(i, focus) {
    if (!view.files.length) return;
    view.active = Math.max(0, Math.min(i, view.files.length - 1));
    renderTabs();
    renderCode();
    if (focus) $("tab-" + view.active).focus();
  }

  function applyHighlight() {
    const { line, end } = view.highlighted;
    for (const old of ui.codeBody.querySelectorAll(".line.hl")) old.classList.remove("hl");
    for (let n = line; n <= Math.max(line, end); n++) {
      const l = $("L" + n);
      if (l) l.classList.add("hl");
    }
  }

  function jumpTo(d) {
    const idx = view.files.findIndex((f) => f.path === d.file || f.path.endsWith("/" + d.file));
    if (idx >= 0 && idx !== view.active) selectTab(idx, false);
    view.highlighted = { line: d.line, end: d.end_line || d.line };
    renderCode();
    const target = $("L" + d.line);
    if (target) {
      target.scrollIntoView({ block: "center" });
      target.focus({ preventScroll: true });
    }
  }

  // ---- results -------------------------------------------------------------------------------
  function renderDiagnostics(list) {
    const diags = list || [];
    const errors = diags.filter((d) => d.severity === "error").length;
    ui.diagSummary.textContent = diags.length === 0 ? "No findings: the code passed validation."
      : diags.length + (diags.length === 1 ? " finding" : " findings") + " (" + errors + (errors === 1 ? " error)." : " errors).");
    ui.diagnostics.replaceChildren(...diags.map((d) => {
      const btn = el("button", { type: "button", class: "diag", "data-line": String(d.line), "data-file": d.file },
        el("span", { class: "sev sev-" + d.severity, text: d.severity }),
        el("span", { class: "rule", text: d.rule }), " ",
        el("span", { class: "where", text: d.file + ":" + d.line + ":" + d.column }), " ",
        el("span", { class: "msg", text: d.message }));
      btn.addEventListener("click", () => jumpTo(d));
      const doc = el("a", { href: "/rules#" + encodeURIComponent(d.rule), text: "About " + d.rule });
      return el("li", null, btn, doc);
    }));
  }

  function renderRounds(rounds) {
    const repairs = (rounds || []).filter((r) => r.round > 0);
    ui.roundsView.hidden = repairs.length === 0;
    ui.roundsList.replaceChildren(...repairs.map((r) => el("li", {
      text: "Round " + r.round + ": " + r.diagnostics_before.length + " blocking before, " + r.blocking +
        " after" + (r.kept ? " (kept)" : "") + (r.error ? " - " + r.error : ""),
    })));
  }

  function renderUsage(r) {
    const u = r.usage || {};
    const rows = [
      ["Provider", r.provider + " / " + r.model + (r.offline ? " (offline scaffold)" : "")],
      ["Tokens", (u.input_tokens || 0) + " in, " + (u.output_tokens || 0) + " out"],
      ["Cost", r.cost_usd == null ? "not priced" : "$" + r.cost_usd.toFixed(r.cost_usd < 0.01 ? 6 : 4)],
      ["Cache", r.rounds && r.rounds.some((x) => x.cached) ? "served from cache" : "fresh"],
      ["Request id", r.request_id],
    ];
    ui.usage.replaceChildren(...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
  }

  function showResult(r) {
    view.result = r;
    view.files = (r.files && r.files.length) ? r.files : ((r.blocked && r.blocked.withheld_files) || []);
    view.active = 0;
    view.highlighted = null;
    renderTabs();
    renderCode();
    renderDiagnostics(r.diagnostics);
    renderRounds(r.rounds);
    renderUsage(r);
    const canExport = !r.blocked && view.files.length > 0;
    ui.downloads.forEach((b) => { b.disabled = !canExport; });
  }

  function resetResult() {
    Object.assign(view, { files: [], active: 0, raw: "", result: null, highlighted: null });
    renderTabs();
    renderCode();
    ui.diagSummary.textContent = "None yet.";
    ui.diagnostics.replaceChildren();
    ui.roundsView.hidden = true;
    ui.usage.replaceChildren(el("dt", { text: "Tokens" }), el("dd", { text: "–" }));
    ui.downloads.forEach((b) => { b.disabled = true; });
  }

  // ---- streaming -----------------------------------------------------------------------------
  function body() {
    const b = { prompt: ui.prompt.value.trim() };
    if (ui.rounds.value !== "") b.repair_rounds = Number(ui.rounds.value);
    if (ui.nocache.checked) b.no_cache = true;
    if (ui.provider.value) b.provider = ui.provider.value;
    if (ui.unity.value) b.unity_version = ui.unity.value;
    return b;
  }

  function running(on) {
    ui.generate.disabled = on;
    ui.stop.disabled = !on;
    ui.form.setAttribute("aria-busy", String(on));
  }

  async function generate() {
    const key = storedKey();
    if (!key) return signOut("Sign in first.");
    const req = body();
    if (!req.prompt) {
      showMessage(["Describe what the script should do first."]);
      ui.prompt.focus();
      return;
    }
    stopStream();
    clearMessage();
    resetResult();
    performance.clearMarks();
    performance.clearMeasures();
    performance.mark("spark-generate");
    view.pending = true;
    const controller = new AbortController();
    view.controller = controller;
    running(true);
    setStatus("connecting", "Connecting…");
    const entry = remember(req.prompt);
    try {
      const res = await fetch("/v1/generate/stream", {
        method: "POST", signal: controller.signal, cache: "no-store",
        headers: { Authorization: "Bearer " + key, "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(req),
      });
      if (!res.ok) {
        const p = await problemOf(res);
        fail(p, res.headers.get("Retry-After"));
        finishHistory(entry, "failed: " + (p.code || res.status));
        return;
      }
      setStatus("generating", "Generating…");
      const outcome = await readEvents(res, controller);
      finishHistory(entry, outcome);
    } catch (e) {
      if (controller.signal.aborted) {
        setStatus("stopped", "Stopped.");
        finishHistory(entry, "stopped");
      } else {
        setStatus("error", "Failed.");
        showMessage(["The connection to the server was lost. Try again."]);
        finishHistory(entry, "failed: connection");
      }
    } finally {
      if (view.controller === controller) view.controller = null;
      running(false);
    }
  }

  // Reads SSE frames as they arrive; the outcome for the history.
  async function readEvents(res, controller) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let outcome = "incomplete";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
        const o = handleFrame(frame);
        if (o) outcome = o;
      }
      if (controller.signal.aborted) break;
    }
    if (outcome === "incomplete") {
      setStatus("error", "Failed.");
      showMessage(["The stream ended before the result arrived. Try again."]);
    }
    return outcome;
  }

  function handleFrame(frame) {
    let name = "message";
    const data = [];
    for (const line of frame.split(/\r?\n/)) {
      if (line.startsWith("event:")) name = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (!data.length) return null; // keep-alive comment
    let ev;
    try { ev = JSON.parse(data.join("\n")); } catch (_) { return null; }
    switch (name) {
      case "started":
        setStatus("generating", "Generating with " + ev.provider + (ev.cached ? " (from cache)…" : "…"));
        return null;
      case "delta":
        view.raw += ev.text || "";
        if (!view.files.length) {
          if (ui.tabs.childElementCount === 0) renderTabs();
          // The first text shows at once; later pieces are batched per frame.
          if (view.pending) renderCode(); else scheduleRender();
        }
        // A closed code fence means the reply is complete: the server validates next.
        if ((view.raw.match(/```/g) || []).length >= 2 && ui.status.dataset.state === "generating") {
          setStatus("validating", "Validating…");
        }
        return null;
      case "repairing":
        setStatus("repairing", "Repairing (round " + ev.round + ")…");
        return null;
      case "diagnostics":
        setStatus("validating", "Validating…");
        renderDiagnostics(ev.diagnostics);
        return null;
      case "done":
        showResult(ev.result);
        setStatus("done", "Done: " + ev.result.files.length + (ev.result.files.length === 1 ? " file." : " files."));
        if (ev.result.blocked) showMessage(explain({ code: "output_blocked", detail: "rules " + ev.result.blocked.rules.join(", ") }), ev.result.request_id);
        return "done";
      case "error":
        fail(ev);
        return "failed: " + (ev.code || "error");
      default:
        return null;
    }
  }

  function stopStream() {
    if (view.controller) view.controller.abort();
  }

  // ---- downloads -----------------------------------------------------------------------------
  async function download(format, button) {
    const key = storedKey();
    if (!view.result || !key) return;
    button.disabled = true;
    try {
      const res = await fetch("/v1/export", {
        method: "POST", cache: "no-store",
        headers: { Authorization: "Bearer " + key, "Content-Type": "application/json" },
        body: JSON.stringify({ format, result: view.result }),
      });
      if (!res.ok) return fail(await problemOf(res), res.headers.get("Retry-After"));
      const m = /filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") || "");
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      const a = el("a", { href: url, download: m ? m[1] : "spark." + format, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (_) {
      showMessage(["The download failed. Try again."]);
    } finally {
      button.disabled = false;
    }
  }

  // ---- history -------------------------------------------------------------------------------
  function loadHistory() {
    try {
      const h = JSON.parse(localStorage.getItem(HISTORY_SLOT) || "[]");
      return Array.isArray(h) ? h.filter((x) => x && typeof x.prompt === "string") : [];
    } catch (_) { return []; }
  }

  function saveHistory(h) {
    try { localStorage.setItem(HISTORY_SLOT, JSON.stringify(h.slice(0, HISTORY_MAX))); } catch (_) { /* full or disabled */ }
    renderHistory();
  }

  function remember(prompt) {
    const entry = { prompt, provider: ui.provider.value, unity: ui.unity.value, at: new Date().toISOString(), outcome: "running" };
    saveHistory([entry, ...loadHistory().filter((x) => x.prompt !== prompt)]);
    return entry.at;
  }

  function finishHistory(at, outcome) {
    saveHistory(loadHistory().map((x) => (x.at === at ? { ...x, outcome } : x)));
  }

  function renderHistory() {
    const h = loadHistory();
    ui.clearHistory.hidden = h.length === 0;
    ui.history.replaceChildren(...h.map((x) => {
      const b = el("button", { type: "button" }, x.prompt,
        el("span", { class: "when", text: new Date(x.at).toLocaleString() + " · " + (x.outcome || "") }));
      b.addEventListener("click", () => {
        ui.prompt.value = x.prompt;
        // The request's options come back with it, when this server still offers them.
        for (const [select, v] of [[ui.provider, x.provider], [ui.unity, x.unity]]) {
          if (typeof v === "string" && [...select.options].some((o) => o.value === v)) select.value = v;
        }
        ui.prompt.focus();
      });
      return el("li", null, b);
    }));
  }

  // ---- wiring --------------------------------------------------------------------------------
  ui.signinForm.addEventListener("submit", (e) => { e.preventDefault(); signIn(ui.apikey.value.trim()); });
  ui.signout.addEventListener("click", () => signOut(""));
  ui.form.addEventListener("submit", (e) => { e.preventDefault(); generate(); });
  ui.stop.addEventListener("click", stopStream);
  ui.prompt.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      // While a generation runs, Enter does not start another one (Escape stops it).
      if (!view.controller) ui.form.requestSubmit();
    }
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && view.controller) { e.preventDefault(); stopStream(); }
  });
  ui.tabs.addEventListener("click", (e) => {
    const b = e.target.closest("button[role=tab]");
    if (b) selectTab(Number(b.dataset.index), true);
  });
  ui.tabs.addEventListener("keydown", (e) => {
    const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -Infinity, End: Infinity };
    if (!(e.key in moves) || !view.files.length) return;
    e.preventDefault();
    const m = moves[e.key];
    const n = view.files.length;
    selectTab(Number.isFinite(m) ? (view.active + m + n) % n : (m < 0 ? 0 : n - 1), true);
  });
  ui.downloads.forEach((b) => b.addEventListener("click", () => download(b.dataset.format, b)));
  ui.format.addEventListener("change", () => { localStorage.setItem(FORMAT_SLOT, ui.format.value); markFormat(); });
  ui.provider.addEventListener("change", () => localStorage.setItem(PROVIDER_SLOT, ui.provider.value));
  ui.unity.addEventListener("change", () => localStorage.setItem(UNITY_SLOT, ui.unity.value));
  ui.clearHistory.addEventListener("click", () => { localStorage.removeItem(HISTORY_SLOT); renderHistory(); ui.prompt.focus(); });

  // The chosen format's button is the primary one.
  function markFormat() {
    ui.downloads.forEach((b) => b.classList.toggle("primary", b.dataset.format === ui.format.value));
  }

  const savedFormat = localStorage.getItem(FORMAT_SLOT);
  if (savedFormat && [...ui.format.options].some((o) => o.value === savedFormat)) ui.format.value = savedFormat;
  markFormat();
  renderHistory();
  if (storedKey()) showApp("Signed in");
  else ui.apikey.focus();
})();
