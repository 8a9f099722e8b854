//! Tauri's build step, with a permission generated per app command
//! (`allow-<command>`), so `capabilities/` can grant the settings window
//! exactly the commands it uses and nothing else. The commands come from
//! their one list, `src/command_list.rs`.

include!("src/command_list.rs");

/// The names of the list's commands (the rest of each line is for
/// `src/dispatch.rs`).
macro_rules! names {
    ($( $mode:tt $module:ident :: $name:ident ( $($param:ident),* ) -> $ret:ident ; )*) => {
        const COMMANDS: &[&str] = &[$(stringify!($name)),*];
    };
}

command_list!(names);

fn main() {
    println!("cargo:rerun-if-changed=src/command_list.rs");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
