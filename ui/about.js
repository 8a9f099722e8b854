// The settings window's About tab: version, where things are, and "Copy
// diagnostics" (the report is made and copied by the tray, redacted).
"use strict";

(() => {
  const { invoke } = window.__TAURI__.core;
  const $ = (id) => document.getElementById(id);

  async function load() {
    const a = await invoke("about");
    $("about-version").textContent = a.version;
    $("about-profile").textContent = a.profile;
    $("about-config").textContent = a.config;
    $("about-logs").textContent = `${a.logs} (the tray's own: ${a.tray_log})`;
  }

  async function copy() {
    const out = $("diagnostics-result");
    out.classList.remove("ok", "bad");
    try {
      const report = await invoke("copy_diagnostics");
      $("diagnostics").textContent = report;
      $("diagnostics").hidden = false;
      out.textContent = "Copied to the clipboard.";
      out.classList.add("ok");
    } catch (e) {
      out.textContent = String(e);
      out.classList.add("bad");
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("copy-diagnostics").addEventListener("click", copy);
    $("tab-about").addEventListener("click", load);
    load().catch((e) => { $("about-version").textContent = String(e); });
  });
})();
