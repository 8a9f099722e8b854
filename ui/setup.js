// OroSync's first-run setup. Everything typed stays in the tray's draft
// (memory and a scratch folder) until "Start sync"; Cancel drops it.
// Text is always set with textContent, never as markup.
"use strict";

const { invoke } = window.__TAURI__.core;
const { listen } = window.__TAURI__.event;

const $ = (id) => document.getElementById(id);
const STEPS = ["oro", "microsoft", "sync", "preview"];
// Which step owns a setting, to go back to it when it is refused.
const STEP_OF = { oro: "oro", outlook: "microsoft", sync: "sync", keys: "sync" };
let step = 0;
let defaults = null;
let oroChecked = false;
let signedIn = false;
let previewed = false;
// The fingerprint of a self-signed Oro certificate the user trusted here.
let trustedFingerprint = "";

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

function clearErrors() {
  for (const p of document.querySelectorAll(".error")) {
    p.hidden = true;
    p.textContent = "";
  }
  for (const f of document.querySelectorAll(".field.invalid")) f.classList.remove("invalid");
}

// Show `message` next to the field of `key` and go to its step.
function fieldError(key, message) {
  const p = key ? $("err-" + key) : null;
  if (!p) return false;
  p.textContent = message;
  p.hidden = false;
  const field = p.closest(".field");
  if (field) field.classList.add("invalid");
  const owner = STEP_OF[key.split(".")[0]];
  if (owner && STEPS[step] !== owner) show(STEPS.indexOf(owner));
  const input = field && field.querySelector("input, select");
  if (input) input.focus();
  return true;
}

// --------------------------------------------------------------- the form

function fillSelect(id, names, value) {
  $(id).replaceChildren(...names.map((n) => {
    const o = el("option", n);
    o.value = n;
    return o;
  }));
  $(id).value = value;
}

function form() {
  const s = Object.assign({}, defaults.settings);
  s.oro_url = $("oro_url").value;
  s.oro_username = $("oro_username").value;
  s.oro_auth = $("oro_auth").value;
  s.oro_client_id = $("oro_client_id").value;
  s.outlook_client_id = $("outlook_client_id").value;
  s.outlook_tenant = $("outlook_tenant").value;
  s.direction = $("direction").value;
  s.mode = $("mode-manual").checked ? "manual" : "automatic";
  s.interval_seconds = $("interval_seconds").value;
  s.conflict_resolution = $("conflict_resolution").value;
  s.kinds = Array.from(document.querySelectorAll('#kinds input[type="checkbox"]'))
    .filter((b) => b.checked).map((b) => b.value);
  return {
    settings: s,
    graph_url: $("graph_url").value,
    login_url: $("login_url").value,
    tls_fingerprint: trustedFingerprint,
  };
}

function fill(view) {
  defaults = view.defaults;
  const s = defaults.settings;
  const c = view.choices;
  $("oro_url").value = s.oro_url;
  $("oro_username").value = s.oro_username;
  fillSelect("oro_auth", c.oro_auth, s.oro_auth);
  $("oro_client_id").value = s.oro_client_id;
  $("outlook_client_id").value = s.outlook_client_id;
  $("outlook_tenant").value = s.outlook_tenant;
  $("graph_url").value = defaults.graph_url;
  $("login_url").value = defaults.login_url;
  fillSelect("direction", c.direction, s.direction);
  fillSelect("conflict_resolution", c.conflict_resolution, s.conflict_resolution);
  $("mode-" + s.mode).checked = true;
  $("interval_seconds").value = s.interval_seconds;
  $("interval_seconds").min = c.interval_min;
  $("interval_seconds").max = c.interval_max;
  $("hint-interval").textContent = `From ${c.interval_min} to ${c.interval_max} seconds; used in automatic mode.`;
  const kinds = $("kinds");
  for (const k of c.kinds) {
    const label = el("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = k;
    box.id = "kind-" + k;
    box.checked = s.kinds.includes(k);
    label.append(box, " " + k);
    kinds.insertBefore(label, $("err-sync.kinds"));
  }
  authChanged();
}

// The secret's name follows the sign-in method; oauth2-browser has none.
function authChanged() {
  const auth = $("oro_auth").value;
  $("field-client-id").hidden = auth === "wsse";
  $("field-secret").hidden = auth === "oauth2-browser";
  $("secret-label").textContent = auth === "oauth2" ? "Client secret" : "API key";
  $("oro-check").textContent = auth === "oauth2-browser" ? "Sign in and check" : "Check";
}

// Changing what was checked asks for a new check.
function invalidateOro() {
  if (!oroChecked) return;
  oroChecked = false;
  say("oro-result", "Changed: check again.", null);
  update();
}

// ------------------------------------------------------------------ steps

function show(i) {
  step = i;
  STEPS.forEach((name, j) => {
    $("step-" + name).hidden = j !== i;
    const nav = $("nav-" + name);
    if (j === i) nav.setAttribute("aria-current", "step");
    else nav.removeAttribute("aria-current");
  });
  $("step-label").textContent = `Step ${i + 1} of ${STEPS.length}`;
  const h = $("h-" + STEPS[i]);
  h.tabIndex = -1;
  h.focus();
  if (STEPS[i] === "preview") loadPreview();
  update();
}

function update() {
  const name = STEPS[step];
  $("back").hidden = step === 0;
  $("next").hidden = name === "preview";
  $("start").hidden = name !== "preview";
  $("next").disabled = (name === "oro" && !oroChecked) || (name === "microsoft" && !signedIn);
  $("start").disabled = !previewed;
}

// --------------------------------------------------------------- actions

async function checkOro() {
  clearErrors();
  $("oro-confirm").hidden = true;
  $("oro-confirm").replaceChildren();
  const b = $("oro-check");
  b.disabled = true;
  say("oro-result", $("oro_auth").value === "oauth2-browser"
    ? "Finish the sign-in in the browser page that opened…" : "Checking…", null);
  try {
    const r = await invoke("setup_check_oro", { form: form(), secret: $("oro_secret").value });
    oroChecked = r.ok;
    if (r.ok) {
      say("oro-result", r.message, true);
    } else if (r.problem === "certificate" && r.certificate && r.certificate.fingerprint) {
      say("oro-result", "Not connected yet: " + r.message, false);
      showCertificate(r.certificate);
    } else {
      say("oro-result", "Not connected: " + r.message, false);
      fieldError(r.key, r.message);
    }
  } catch (e) {
    oroChecked = false;
    say("oro-result", "Not connected: " + e, false);
  } finally {
    b.disabled = false;
    update();
  }
}

// An untrusted (self-signed) or changed Oro certificate, shown as text to
// compare with what the server's administrator says, and a button to
// trust it: the check runs again over that pin, saved with the settings.
function showCertificate(c) {
  const box = $("oro-confirm");
  const facts = el("dl", null, "about");
  const rows = [
    ["Server", c.host],
    ["Subject", c.subject],
    ["Issuer", c.issuer],
    ["Valid", `${c.not_before || "?"} to ${c.not_after || "?"}`],
    ["Fingerprint", c.fingerprint],
  ];
  if (c.pinned) rows.push(["Trusted before", c.pinned]);
  for (const [k, v] of rows) facts.append(el("dt", k), el("dd", v || ""));
  const trust = el("button", "Trust this certificate");
  trust.type = "button";
  trust.id = "oro-trust";
  trust.addEventListener("click", () => {
    trustedFingerprint = c.fingerprint;
    checkOro();
  });
  box.replaceChildren(el("p", "This server's certificate is not trusted by the system:"), facts, trust);
  box.hidden = false;
  trust.focus();
}

async function signIn(method) {
  clearErrors();
  for (const b of [$("ms-browser"), $("ms-device")]) b.disabled = true;
  say("ms-result", "Signing in…", null);
  try {
    const msg = await invoke("setup_sign_in_outlook", { form: form(), method });
    signedIn = true;
    $("ms-progress").hidden = true;
    say("ms-result", msg, true);
  } catch (e) {
    signedIn = false;
    const text = String(e);
    const key = text.match(/^(outlook\.[a-z_]+):/);
    if (!(key && fieldError(key[1], text))) say("ms-result", "Not signed in: " + text, false);
    else say("ms-result", "", null);
  } finally {
    for (const b of [$("ms-browser"), $("ms-device")]) b.disabled = false;
    update();
  }
}

function kindName(k, n) {
  return n === 1 ? k.replace(/s$/, "") : k;
}

async function loadPreview() {
  previewed = false;
  update();
  clearErrors();
  $("preview-table").hidden = true;
  $("preview-deletes").hidden = true;
  say("preview-status", "Reading both sides (nothing is changed)…", null);
  try {
    const r = await invoke("setup_preview", { form: form() });
    if (r.errors.length) {
      say("preview-status", "Fix the setting below first.", false);
      for (const e of r.errors) fieldError(e.key, e.message);
      return;
    }
    const p = r.preview;
    const body = $("preview-table").querySelector("tbody");
    body.replaceChildren(...p.kinds.map((k) => {
      const tr = el("tr");
      tr.append(el("th", k.kind));
      tr.firstChild.scope = "row";
      for (const n of [k.oro_created, k.oro_updated, k.outlook_created, k.outlook_updated, k.outlook_deleted]) {
        tr.append(el("td", n, "num"));
      }
      return tr;
    }));
    $("preview-table").hidden = false;
    say("preview-status", `The first sync will create ${p.creates} record(s) and delete ${p.outlook_deletes} Outlook item(s).`, null);
    if (p.outlook_deletes > 0) {
      $("preview-deletes").textContent =
        "Deleted in Outlook: items that carry an Oro id from an earlier sync. A first sync deletes them and pairs everything again by key; each is backed up in the profile's backups/ folder first.";
      $("preview-deletes").hidden = false;
    }
    previewed = true;
  } catch (e) {
    say("preview-status", "The preview failed: " + e, false);
  } finally {
    update();
  }
}

async function start() {
  $("start").disabled = true;
  say("start-result", "Saving…", null);
  try {
    const r = await invoke("setup_start", { form: form() });
    if (!r.saved) {
      say("start-result", "Nothing was saved.", false);
      for (const e of r.errors) {
        if (!fieldError(e.key, e.message)) say("start-result", e.message, false);
      }
      update();
      return;
    }
    say("start-result", "Saved. The first sync has started.", true);
    // The settings window, on the History tab, shows the run as it ends.
    location.href = "index.html#history";
  } catch (e) {
    say("start-result", "Nothing was saved: " + e, false);
    update();
  }
}

function next() {
  clearErrors();
  if (step < STEPS.length - 1) show(step + 1);
}

async function init() {
  const view = await invoke("setup_view");
  if (!view.needed) {
    location.href = "index.html";
    return;
  }
  fill(view);
  $("oro_auth").addEventListener("change", () => { authChanged(); invalidateOro(); });
  // Another server: a certificate trusted for the old one does not count.
  $("oro_url").addEventListener("input", () => { trustedFingerprint = ""; });
  for (const id of ["oro_url", "oro_username", "oro_client_id", "oro_secret"]) {
    $(id).addEventListener("input", invalidateOro);
  }
  for (const id of ["outlook_client_id", "outlook_tenant", "graph_url", "login_url"]) {
    $(id).addEventListener("input", () => { if (signedIn) { signedIn = false; say("ms-result", "Changed: sign in again.", null); update(); } });
  }
  $("oro-check").addEventListener("click", checkOro);
  $("ms-browser").addEventListener("click", () => signIn("browser"));
  $("ms-device").addEventListener("click", () => signIn("device"));
  $("next").addEventListener("click", next);
  $("back").addEventListener("click", () => { clearErrors(); show(step - 1); });
  $("start").addEventListener("click", start);
  $("cancel").addEventListener("click", () => invoke("setup_cancel"));
  // Enter in a field submits nothing: each step's actions are buttons.
  $("setup").addEventListener("submit", (e) => e.preventDefault());
  await listen("outlook-sign-in", (e) => {
    const p = e.payload;
    $("ms-progress").hidden = false;
    $("ms-message").textContent = p.message;
    $("ms-url").textContent = p.url;
    $("ms-code-line").hidden = !p.code;
    $("ms-code").textContent = p.code || "";
  });
  show(0);
}

init().catch((e) => say("oro-result", "The setup could not start: " + e, false));
