//! Tauri's build step, with a permission generated per app command
//! (`allow-<command>`), so `capabilities/` can grant the settings window
//! exactly the commands it uses and nothing else.

include!("src/command_names.rs");

fn main() {
    println!("cargo:rerun-if-changed=src/command_names.rs");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build step");
}
