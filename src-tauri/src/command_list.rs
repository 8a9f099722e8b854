// The settings window's commands, once. Everything that names them is
// made from this list: `dispatch` makes Tauri's invoke handler for the
// in-process window, the dispatcher for a window in its own process and
// `COMMANDS`; `build.rs` makes a permission `allow-<name>` for each, which
// `capabilities/settings.json` grants. A test checks all four agree
// (`command_list_tests.rs`). Included by `build.rs` and `dispatch.rs`, so
// no `//!` and no `use`.
//
// One line per command: `sync` or `async`, the function, its parameters,
// and what it answers. Parameters: `app` is the `AppHandle`, `state` a
// managed `State` (its type is the function's), any other name is the
// page's argument of that name. Answers: `result` for a `Result` (its
// error reaches the page as its text), `value` for a plain value.

macro_rules! command_list {
    ($then:ident) => {
        $then! {
            sync commands::get_settings(state) -> result;
            sync commands::save_settings(app, state, settings) -> result;
            async commands::test_connection(state, settings, secret) -> result;
            async commands::save_oro_secret(app, state, settings, secret) -> result;
            async commands::probe_oro_certificate(state, url) -> result;
            async commands::trust_oro_certificate(app, state, fingerprint) -> result;
            sync commands::get_status(state) -> value;
            sync commands::sync_now(app, state) -> value;
            sync commands::get_history(state, limit) -> result;
            sync commands::get_conflicts(state) -> result;
            sync commands::resolve_conflict(app, state, id, keep) -> result;
            sync commands::get_held_deletions(state) -> value;
            sync commands::decide_held_deletions(app, state, kind, choice) -> result;
            async commands::resync_preview(state) -> result;
            sync commands::resync(app, state) -> value;
            sync commands::sign_out_outlook(state) -> result;
            async commands::sign_in_outlook(app, state, method) -> result;
            sync first_run::setup_view(state) -> value;
            async first_run::setup_check_oro(app, state, form, secret) -> result;
            async first_run::setup_sign_in_outlook(app, state, form, method) -> result;
            async first_run::setup_preview(state, form) -> result;
            sync first_run::setup_start(app, state, state, form) -> result;
            sync first_run::setup_cancel(app, state) -> value;
            sync about::about(state) -> value;
            sync about::get_diagnostics(state) -> value;
            sync about::copy_diagnostics(app, state) -> result;
            sync commands::get_autostart(app) -> value;
            sync commands::set_autostart(app, enabled) -> result;
            sync commands::close_window(app) -> value;
        }
    };
}
