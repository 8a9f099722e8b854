//! Tauri's build step, with a permission generated per app command
//! (`allow-<command>`), so `capabilities/` can grant the settings window
//! exactly the commands it uses and nothing else.

/// Every command of `commands.rs`, `setup.rs` and `about.rs`; keep in step with `generate_handler!`.
const COMMANDS: &[&str] = &[
    "get_settings",
    "save_settings",
    "test_connection",
    "probe_oro_certificate",
    "trust_oro_certificate",
    "get_status",
    "sync_now",
    "get_history",
    "get_conflicts",
    "resolve_conflict",
    "resync_preview",
    "resync",
    "sign_out_outlook",
    "sign_in_outlook",
    "setup_view",
    "setup_check_oro",
    "setup_sign_in_outlook",
    "setup_preview",
    "setup_start",
    "setup_cancel",
    "about",
    "get_diagnostics",
    "copy_diagnostics",
    "get_autostart",
    "set_autostart",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
