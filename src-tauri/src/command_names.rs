// The settings window's commands, by name: one list for `build.rs` (a
// permission `allow-<name>` each, granted in `capabilities/settings.json`)
// and for `dispatch`, which runs them for a settings window in its own
// process. Keep in step with `generate_handler!` in `lib.rs`; a test checks
// that every name here is dispatched. (Included by `build.rs`, so no `//!`.)

/// Every command of `commands.rs`, `first_run.rs` and `about.rs`.
pub const COMMANDS: &[&str] = &[
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
    "get_held_deletions",
    "decide_held_deletions",
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
