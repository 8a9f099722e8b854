// OroSync settings window. Talks to the tray through Tauri's global API
// (no build step). Text from records is always set with textContent, never
// as markup.
"use strict";

const { invoke } = window.__TAURI__.core;
const { listen } = window.__TAURI__.event;

const $ = (id) => document.getElementById(id);
const FORM_TABS = ["connection", "microsoft", "sync"];
let choices = null;

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function say(id, text, ok) {
  const p = $(id);
  p.textContent = text;
  p.classList.toggle("ok", ok === true);
  p.classList.toggle("bad", ok === false);
}

// ------------------------------------------------------------------ tabs

const tabs = () => Array.from(document.querySelectorAll('[role="tab"]'));

function showTab(name, focus) {
  for (const t of tabs()) {
    const on = t.id === "tab-" + name;
    t.setAttribute("aria-selected", on ? "true" : "false");
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute("aria-controls")).hidden = !on;
    if (on && focus) t.focus();
  }
  $("save-bar").hidden = !FORM_TABS.includes(name);
  if (name === "history") loadHistory();
  if (name === "conflicts") {
    loadConflicts();
    loadHeld();
  }
  if (location.hash !== "#" + name) history.replaceState(null, "", "#" + name);
}

function setupTabs() {
  for (const t of tabs()) {
    t.addEventListener("click", () => showTab(t.id.slice(4), false));
    t.addEventListener("keydown", (e) => {
      const all = tabs();
      const i = all.indexOf(t);
      let j = null;
      if (e.key === "ArrowRight") j = (i + 1) % all.length;
      if (e.key === "ArrowLeft") j = (i - 1 + all.length) % all.length;
      if (e.key === "Home") j = 0;
      if (e.key === "End") j = all.length - 1;
      if (j !== null) {
        e.preventDefault();
        showTab(all[j].id.slice(4), true);
      }
    });
  }
}

// ------------------------------------------------------------------ settings

function fillSelect(id, names, value) {
  const s = $(id);
  s.replaceChildren(...names.map((n) => {
    const o = el("option", n);
    o.value = n;
    return o;
  }));
  s.value = value;
}

function checkboxes(container, name, options, checked) {
  for (const opt of options) {
    const label = el("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = name;
    box.value = opt;
    box.checked = checked.includes(opt);
    label.append(box, " " + opt);
    container.append(label);
  }
}

function render(view) {
  const s = view.settings;
  choices = view.choices;
  for (const id of ["oro_url", "oro_username", "oro_client_id", "outlook_client_id", "outlook_tenant",
                    "interval_seconds", "events_past_days", "events_future_days"]) {
    $(id).value = s[id];
  }
  fillSelect("oro_auth", choices.oro_auth, s.oro_auth);
  fillSelect("direction", choices.direction, s.direction);
  fillSelect("conflict_resolution", choices.conflict_resolution, s.conflict_resolution);
  fillSelect("contacts_scope", choices.contacts_scope, s.contacts_scope);
  $("mode-" + s.mode).checked = true;
  $("interval_seconds").min = choices.interval_min;
  $("interval_seconds").max = choices.interval_max;
  $("hint-interval").textContent =
    `Automatic mode: how often to sync, ${choices.interval_min} to ${choices.interval_max} seconds.`;

  const kinds = $("kinds");
  kinds.querySelectorAll("label").forEach((l) => l.remove());
  const kindsErr = $("err-sync.kinds");
  checkboxes(kinds, "kinds", choices.kinds, s.kinds);
  kinds.append(kindsErr);

  const keys = $("keys");
  keys.replaceChildren();
  for (const kind of choices.kinds) {
    const fs = el("fieldset", null, "field keys-kind");
    fs.dataset.key = "keys." + kind;
    fs.append(el("legend", `Key fields for ${kind} (records with equal keys are paired)`));
    checkboxes(fs, "keys-" + kind, choices.fields[kind], s.keys[kind] || []);
    const err = el("p", null, "error");
    err.id = "err-keys." + kind;
    err.hidden = true;
    fs.append(err);
    keys.append(fs);
  }
  secretStored = view.oro_secret_stored;
  authChanged();
  $("ms-state").textContent = view.outlook_signed_in
    ? "Signed in to Microsoft (token kept in the system keyring)."
    : "Not signed in to Microsoft.";
  $("sign-out").disabled = !view.outlook_signed_in;
}

// The Oro secret's field follows the sign-in method: an API key (wsse), a
// client secret (oauth2), none (oauth2-browser signs in in the browser).
// The stored secret never comes back to the page: only whether there is one.
let secretStored = false;

function authChanged() {
  const auth = $("oro_auth").value;
  const what = auth === "oauth2" ? "client secret" : "API key";
  $("field-secret").hidden = auth === "oauth2-browser";
  $("secret-label").textContent = auth === "oauth2" ? "Client secret" : "API key";
  $("hint-secret").textContent = secretStored
    ? `Kept in the system keyring, never shown. Type a new ${what} to replace it; Save checks it with Oro first.`
    : `None kept yet: type the ${what} and Save (Oro checks it first).`;
}

// The sign-in waits (minutes, at most) for the user in the browser or at
// the device code page; the steps arrive as "outlook-sign-in" events.
async function signIn() {
  $("sign-in").disabled = true;
  $("sign-in-progress").hidden = true;
  say("sign-in-result", "Signing in…");
  try {
    say("sign-in-result", await invoke("sign_in_outlook"), true);
  } catch (err) {
    say("sign-in-result", String(err), false);
  } finally {
    $("sign-in").disabled = false;
    $("sign-in-progress").hidden = true;
    loadSettings();
  }
}

function showSignInStep(p) {
  $("sign-in-message").textContent = p.message;
  $("sign-in-code").textContent = p.code || "";
  $("sign-in-code").parentElement.hidden = !p.code;
  $("sign-in-url").textContent = p.url;
  $("sign-in-progress").hidden = false;
  say("sign-in-result", "Waiting for you to finish signing in…");
}

function collect() {
  const v = (id) => $(id).value;
  const checked = (name) =>
    Array.from(document.querySelectorAll(`input[name="${name}"]:checked`)).map((b) => b.value);
  const keys = {};
  for (const kind of choices.kinds) keys[kind] = checked("keys-" + kind);
  return {
    oro_url: v("oro_url"),
    oro_username: v("oro_username"),
    oro_auth: v("oro_auth"),
    oro_client_id: v("oro_client_id"),
    outlook_client_id: v("outlook_client_id"),
    outlook_tenant: v("outlook_tenant"),
    mode: checked("mode")[0] || "",
    interval_seconds: v("interval_seconds"),
    direction: v("direction"),
    conflict_resolution: v("conflict_resolution"),
    kinds: checked("kinds"),
    contacts_scope: v("contacts_scope"),
    events_past_days: v("events_past_days"),
    events_future_days: v("events_future_days"),
    keys,
  };
}

// The fields' messages only ("err-<key>"): the header's status line is
// not the form's to hide.
function clearErrors() {
  document.querySelectorAll(".field.invalid").forEach((f) => f.classList.remove("invalid"));
  document.querySelectorAll('p.error[id^="err-"]').forEach((p) => { p.hidden = true; p.textContent = ""; });
}

function showError(err) {
  const key = err.key || "";
  const p = $("err-" + key) || $("err-" + key.split(".").slice(0, 2).join("."));
  if (!p) {
    say("save-result", err.message, false);
    return;
  }
  p.textContent = err.message;
  p.hidden = false;
  const field = p.closest(".field");
  field.classList.add("invalid");
  const panel = p.closest('[role="tabpanel"]');
  showTab(panel.id.slice(6), false);
  const input = field.querySelector("input, select");
  if (input) input.focus();
}

async function save(e) {
  e.preventDefault();
  clearErrors();
  say("save-result", "Saving…");
  try {
    // A typed key or secret first: Oro checks it, then it goes to the
    // keyring (never to config.toml); a refused one saves nothing.
    const secret = $("oro_secret").value;
    if (secret && !$("field-secret").hidden) {
      const k = await invoke("save_oro_secret", { settings: collect(), secret });
      if (!k.saved) {
        say("save-result", "Not saved: fix the field marked in red.", false);
        k.errors.forEach(showError);
        refreshStatus();
        return;
      }
      $("oro_secret").value = "";
      secretStored = true;
      authChanged();
    }
    const r = await invoke("save_settings", { settings: collect() });
    if (r.saved) {
      say("save-result", "Saved.", true);
    } else {
      say("save-result", "Not saved: fix the field marked in red.", false);
      r.errors.forEach(showError);
    }
  } catch (err) {
    say("save-result", String(err), false);
  }
  refreshStatus();
}

async function loadSettings() {
  render(await invoke("get_settings"));
}

// ------------------------------------------------------------------ status

async function refreshStatus(status) {
  const s = status || (await invoke("get_status"));
  const line = s.error ? `${s.last} — ${s.error}` : s.last;
  $("status").textContent = line;
  $("status").hidden = false;
  $("status").classList.toggle("failed", s.state === "error");
  $("sync-now").disabled = s.running;
  $("sync-now").textContent = s.running ? "Syncing…" : "Sync now";
  const badge = $("conflict-count");
  badge.hidden = s.pending_conflicts === 0;
  badge.textContent = String(s.pending_conflicts);
}

// ------------------------------------------------------------------ history

function counts(c, side) {
  return `${c[side + "_created"]} / ${c[side + "_updated"]} / ${c[side + "_deleted"]}`;
}

async function loadHistory() {
  const runs = await invoke("get_history", { limit: 20 });
  const body = $("history").querySelector("tbody");
  body.replaceChildren();
  $("history-empty").hidden = runs.length > 0;
  for (const r of runs) {
    const started = new Date(r.started_at).toLocaleString();
    const result = r.finished_at === null ? "running or interrupted" : r.ok ? "ok" : (r.fatal || "some items failed");
    const kinds = r.kinds.length ? r.kinds : [null];
    kinds.forEach((k, i) => {
      const tr = el("tr");
      tr.dataset.run = String(r.id);
      if (k) tr.dataset.kind = k.kind;
      tr.append(el("td", i === 0 ? started : ""), el("td", i === 0 ? result : ""), el("td", k ? k.kind : "—"));
      tr.append(el("td", k ? counts(k, "oro") : "", "num oro"), el("td", k ? counts(k, "outlook") : "", "num outlook"));
      tr.append(el("td", k ? k.conflicts : "", "num"), el("td", k ? k.failed : "", "num"));
      body.append(tr);
    });
  }
}

// ------------------------------------------------------------------ conflicts

function valueText(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

async function loadConflicts() {
  const list = await invoke("get_conflicts");
  const box = $("conflicts");
  box.replaceChildren();
  $("conflicts-empty").hidden = list.length > 0;
  for (const c of list) {
    const art = el("article", null, "conflict");
    art.dataset.id = c.id;
    art.append(el("h3", `${c.kind}: Oro ${c.oro_id} / Outlook ${c.outlook_id}`));
    const t = el("table");
    const head = el("tr");
    head.append(el("th", "Field"), el("th", "Oro"), el("th", "Outlook"));
    head.querySelectorAll("th").forEach((th) => th.setAttribute("scope", "col"));
    const thead = el("thead");
    thead.append(head);
    const tbody = el("tbody");
    for (const f of c.fields) {
      const tr = el("tr");
      tr.append(el("th", f.field), el("td", valueText(f.oro)), el("td", valueText(f.outlook)));
      tr.firstChild.setAttribute("scope", "row");
      tbody.append(tr);
    }
    t.append(thead, tbody);
    art.append(t);
    const actions = el("div", null, "actions");
    if (c.resolution) {
      actions.append(el("p", `Keeping ${c.resolution === "oro" ? "Oro's" : "Outlook's"} version; applied at the next sync.`, "result ok"));
    } else {
      for (const [side, label] of [["oro", "Keep Oro"], ["outlook", "Keep Outlook"]]) {
        const b = el("button", label);
        b.type = "button";
        b.className = "keep-" + side;
        b.addEventListener("click", async () => {
          try {
            await invoke("resolve_conflict", { id: c.id, keep: side });
            loadConflicts();
          } catch (err) {
            actions.append(el("p", String(err), "result bad"));
          }
        });
        actions.append(b);
      }
    }
    art.append(actions);
    box.append(art);
  }
}

// ------------------------------------------------------------------ held deletions

// Mass deletions the last sync held: per kind, the names of the Outlook
// items it would delete, with Delete and Keep.
async function loadHeld() {
  const list = await invoke("get_held_deletions");
  const box = $("held-list");
  box.replaceChildren();
  $("held").hidden = list.length === 0;
  for (const g of list) {
    const art = el("article", null, "held");
    art.dataset.kind = g.kind;
    art.append(el("h3", `${g.count} of ${g.linked} linked ${g.kind} are gone from Oro`));
    const ul = el("ul");
    for (const i of g.items) ul.append(el("li", i.name));
    art.append(ul);
    const actions = el("div", null, "actions");
    for (const [choice, label] of [["delete", "Delete"], ["keep", "Keep"]]) {
      const b = el("button", label);
      b.type = "button";
      b.className = "held-" + choice;
      b.addEventListener("click", async () => {
        try {
          await invoke("decide_held_deletions", { kind: g.kind, choice });
          actions.replaceChildren(el("p", choice === "delete"
            ? "Deleting them in Outlook now; see History for the result."
            : "Keeping them: they are created again in Oro now.", "result ok"));
        } catch (err) {
          actions.append(el("p", String(err), "result bad"));
        }
      });
      actions.append(b);
    }
    art.append(actions);
    box.append(art);
  }
}

// ------------------------------------------------------------------ resync

async function preview() {
  say("resync-result", "Computing what a resync would do…");
  try {
    const p = await invoke("resync_preview");
    const body = $("preview-table").querySelector("tbody");
    body.replaceChildren();
    for (const k of p.kinds) {
      const tr = el("tr");
      tr.dataset.kind = k.kind;
      tr.append(el("td", k.kind), el("td", k.outlook_deleted, "num"), el("td", k.outlook_created, "num"),
                el("td", k.oro_created, "num"));
      body.append(tr);
    }
    $("preview-text").textContent =
      `A resync deletes ${p.outlook_deletes} Outlook item(s) and creates ${p.creates} record(s). Nothing is changed until you confirm.`;
    $("preview").hidden = false;
    say("resync-result", "");
    $("resync-confirm").focus();
  } catch (err) {
    say("resync-result", String(err), false);
  }
}

async function confirmResync() {
  await invoke("resync");
  $("preview").hidden = true;
  say("resync-result", "Resync started; see History for the result.", true);
}

// ------------------------------------------------------------------ start at login

// Applied at once, not by Save: it is an autostart entry, not a setting in
// config.toml; the tray menu's "Start at login" is the same switch.
async function setupAutostart() {
  const box = $("autostart");
  const show = (a) => {
    box.checked = a.enabled;
    box.disabled = !a.available;
    if (!a.available) say("autostart-result", "Not available on this system.");
  };
  show(await invoke("get_autostart"));
  box.addEventListener("change", async () => {
    try {
      show(await invoke("set_autostart", { enabled: box.checked }));
      say("autostart-result", box.checked ? "OroSync will start when you log in." : "OroSync will not start at login.", true);
    } catch (err) {
      say("autostart-result", String(err), false);
      show(await invoke("get_autostart"));
    }
  });
}

// An untrusted or changed Oro certificate, shown as text for the user to
// compare before "Trust this certificate" pins it.
function showCertificate(c) {
  const box = $("certificate");
  const facts = $("certificate-facts");
  facts.replaceChildren();
  if (!c || !c.fingerprint) {
    box.hidden = true;
    return;
  }
  const rows = [
    ["Server", c.host],
    ["Subject", c.subject],
    ["Issuer", c.issuer],
    ["Valid", `${c.not_before || "?"} to ${c.not_after || "?"}`],
    ["Fingerprint", c.fingerprint],
  ];
  if (c.pinned) rows.push(["Trusted before", c.pinned]);
  for (const [k, v] of rows) {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = v || "";
    facts.append(dt, dd);
  }
  $("trust-certificate").dataset.fingerprint = c.fingerprint;
  box.hidden = false;
}

// ------------------------------------------------------------------ start

// Escape or Ctrl+W closes the window, as its close button does (unsaved
// edits are not kept, as there). Escape in an open list only closes the
// list: WebKit handles that one before the page sees it.
function closeKeys(e) {
  const ctrlW = (e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "w";
  if (e.key === "Escape" || ctrlW) {
    e.preventDefault();
    invoke("close_window");
  }
}

// An edit makes "Saved." and the last test's answer stale: they go, so
// what is shown is never about values that are no longer there.
function editsMakeResultsStale() {
  const stale = () => {
    say("save-result", "");
    say("test-result", "");
  };
  $("settings").addEventListener("input", stale);
  $("settings").addEventListener("change", stale);
}

async function start() {
  setupTabs();
  document.addEventListener("keydown", closeKeys);
  editsMakeResultsStale();
  $("settings").addEventListener("submit", save);
  $("sync-now").addEventListener("click", async () => {
    await invoke("sync_now");
    refreshStatus();
  });
  $("test-connection").addEventListener("click", async () => {
    say("test-result", "Testing…");
    try {
      // What is typed, saved or not: the settings and the key in the field.
      const r = await invoke("test_connection", { settings: collect(), secret: $("oro_secret").value });
      say("test-result", r.message, r.ok);
      showCertificate(r.certificate);
    } catch (err) {
      say("test-result", String(err), false);
    }
  });
  $("trust-certificate").addEventListener("click", async () => {
    const fingerprint = $("trust-certificate").dataset.fingerprint;
    say("test-result", "Trusting the certificate and testing again…");
    try {
      const r = await invoke("trust_oro_certificate", { fingerprint });
      say("test-result", r.message, r.ok);
      showCertificate(r.certificate);
    } catch (err) {
      say("test-result", String(err), false);
    }
  });
  $("oro_auth").addEventListener("change", authChanged);
  $("sign-in").addEventListener("click", signIn);
  await listen("outlook-sign-in", (e) => showSignInStep(e.payload));
  $("sign-out").addEventListener("click", async () => {
    await invoke("sign_out_outlook");
    loadSettings();
  });
  $("resync-preview").addEventListener("click", preview);
  $("resync-confirm").addEventListener("click", confirmResync);
  $("resync-cancel").addEventListener("click", () => {
    $("preview").hidden = true;
    say("resync-result", "Nothing was changed.");
  });
  await listen("status", (e) => {
    refreshStatus(e.payload);
    if (!$("panel-history").hidden) loadHistory();
    if (!$("panel-conflicts").hidden) {
      loadConflicts();
      loadHeld();
    }
  });
  await listen("show-tab", (e) => showTab(e.payload, true));
  setupAutostart().catch((err) => say("autostart-result", String(err), false));
  const first = (location.hash || "#connection").slice(1);
  showTab(tabs().some((t) => t.id === "tab-" + first) ? first : "connection", false);
  try {
    await loadSettings();
  } catch (err) {
    say("save-result", String(err), false);
  }
  refreshStatus();
}

start();
