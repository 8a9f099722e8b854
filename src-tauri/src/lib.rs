//! OroSync's tray app: a thin Tauri shell over the `orosync` library.
//!
//! - [`create_app`] wires state and commands into any runtime's builder,
//!   so tests build the same app on `tauri::test::mock_builder()`;
//! - [`run`] adds what needs a desktop: the tray icon, single instance,
//!   the run loop, and `--demo`.

pub mod about;
pub mod autostart;
pub mod blocking;
pub mod commands;
mod context;
pub mod dispatch;
pub mod dto;
pub mod error;
pub mod first_run;
pub mod notify;
pub mod refresh;
pub mod runner;
pub mod setup_session;
pub mod tray;
pub mod window;

use orosync::scheduler::Action;
use runner::Tray;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::{AppHandle, Builder, Manager, RunEvent, Runtime};

/// The command line of `orosync-tray`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Args {
    /// `--profile DIR`: the profile folder (default: the OS per-user one).
    pub profile: Option<PathBuf>,
    /// `--demo`: run against the fake servers with sample data, after the
    /// demo's two runs (docs/cli.md, "Demo").
    pub demo: bool,
    /// `--demo-fresh`: the demo's servers and profile, but no run yet.
    pub demo_fresh: bool,
    /// `--settings [TAB]`: open the settings window at start, on that tab.
    pub settings: Option<String>,
    /// `--zoom FACTOR`: page zoom of the settings window (2 = 200%).
    pub zoom: Option<f64>,
    /// `--help` / `-h`: print [`USAGE`] and exit.
    pub help: bool,
}

/// What `orosync-tray --help` prints.
pub const USAGE: &str = "\
usage: orosync-tray [--profile DIR] [--demo | --demo-fresh] [--settings [TAB]] [--zoom FACTOR]

OroSync's tray app: keeps OroCRM and Outlook in sync from the system tray.

  --profile DIR     the profile folder (default: your user's OroSync profile)
  --demo            try it on fake servers with sample data (nothing real is touched)
  --demo-fresh      the demo before its first sync
  --settings [TAB]  open the settings window, on TAB (connection, microsoft,
                    sync, history, conflicts, resync, about)
  --zoom FACTOR     zoom the settings window (0.25 to 5; 2 = 200%)
  -h, --help        print this and exit

A second launch while the app runs opens its settings window.";

impl Args {
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
        let mut out = Args::default();
        let mut it = args.into_iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--help" | "-h" => out.help = true,
                "--demo" => out.demo = true,
                "--zoom" => {
                    let z = it.next().ok_or("--zoom needs a factor, e.g. 2")?;
                    out.zoom = Some(
                        z.parse::<f64>()
                            .ok()
                            .filter(|z| (0.25..=5.0).contains(z))
                            .ok_or(format!("--zoom {z:?}: a factor from 0.25 to 5"))?,
                    )
                }
                "--demo-fresh" => {
                    out.demo = true;
                    out.demo_fresh = true
                }
                "--settings" => out.settings = Some(String::new()),
                tab if out.settings.as_deref() == Some("") && !tab.starts_with('-') => {
                    out.settings = Some(tab.to_string())
                }
                "--profile" => {
                    out.profile = Some(it.next().ok_or("--profile needs a folder")?.into())
                }
                // Single-instance and desktop launchers may add these.
                s if s.starts_with("-psn_") => {}
                other => {
                    return Err(format!(
                        "unknown argument {other:?}; see orosync-tray --help"
                    ))
                }
            }
        }
        Ok(out)
    }
}

/// State, commands and window behaviour, for any runtime.
pub fn create_app<R: Runtime>(builder: Builder<R>, tray: Tray) -> Builder<R> {
    builder
        .manage(tray)
        .manage(setup_session::SetupSession::default())
        .invoke_handler(dispatch::handler())
}

/// The run loop: asks the scheduler, runs, shows the result; forever.
pub async fn drive<R: Runtime>(app: AppHandle<R>) {
    loop {
        let tray = app.state::<Tray>();
        match tray.next_action().await {
            Action::Run(reason) => {
                tracing::info!("sync starts ({reason:?})");
                tray::refresh(&app);
                let report = tray.run(reason).await;
                tracing::info!("sync ended: {:?}; {}", report.outcome, tray.status_line());
                tray::refresh(&app);
            }
            Action::CheckOnline => {}
            Action::Wait(until) => {
                tray::refresh(&app);
                tray.wait(until).await;
            }
        }
    }
}

/// The tray's log: `logs/tray.log` in the profile, opened at each line
/// once the folder is there, so a profile that is not set up yet is not
/// created by logging (a cancelled first-run setup leaves nothing); until
/// then, stderr.
struct ProfileLog(PathBuf);

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for ProfileLog {
    type Writer = Box<dyn std::io::Write + 'a>;
    fn make_writer(&'a self) -> Self::Writer {
        let logs = orosync::profile::Profile::at(&self.0).logs_dir();
        if logs.is_dir() {
            // Private like every file of the profile.
            if let Ok(f) = orosync::private_fs::append(&logs.join("tray.log")) {
                return Box::new(f);
            }
        }
        Box::new(std::io::stderr())
    }
}

fn init_logging(dir: &std::path::Path) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::new("warn,orosync=info,orosync_tray=info");
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(ProfileLog(dir.to_path_buf()))
        .try_init();
}

/// The tray process draws an icon and a menu, never a web view, yet GTK
/// sets up OpenGL when it opens the display, which loads Mesa (and, with
/// llvmpipe, LLVM): ~50 MB of the tray's resident memory for nothing
/// (docs/benchmarks.md, "Tray app"). `GDK_GL=disable` turns that off,
/// unless the user set `GDK_GL` themselves; true when it was set here, so
/// the window process gets the user's environment back.
fn without_gl() -> bool {
    if !cfg!(target_os = "linux") || std::env::var_os("GDK_GL").is_some() {
        return false;
    }
    // Called first thing in `run`, while the process has one thread.
    std::env::set_var("GDK_GL", "disable");
    true
}

/// The desktop app.
pub fn run() {
    // Before any thread: neither the window's process nor WebKit's (in
    // this process or that one) inherits a secret of the environment.
    orosync::secrets::take_from_environment();
    // `--window SPEC`: the settings window's own process, started by the
    // tray (`window::host`); nothing else of the app runs in it.
    let mut argv = std::env::args().skip(1);
    if argv.next().as_deref() == Some("--window") {
        let spec = argv.next().unwrap_or_default();
        std::process::exit(window::process::run(&spec));
    }
    // Before GTK starts and before any thread: see `without_gl`.
    let gl_off = without_gl();
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("orosync-tray: {e}");
            std::process::exit(2);
        }
    };
    if args.help {
        println!("{USAGE}");
        return;
    }
    // The demo's fake servers live on their own runtime for the app's life.
    let demo_rt;
    let (dir, secrets): (PathBuf, Arc<dyn orosync::secrets::SecretStore>) = if args.demo {
        demo_rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the demo servers");
        let dir = match &args.profile {
            Some(d) => d.clone(),
            None => orosync::demo::Demo::new_profile_dir()
                .expect("a temporary folder for the demo profile"),
        };
        let had_profile = orosync::profile::Profile::at(&dir).config_path().exists();
        // The same fakes and sample as `orosync demo`; manual, so nothing
        // runs before the newcomer asks; ask mode, so the demo's conflict
        // waits in the Conflicts tab.
        let options = orosync::demo::DemoOptions {
            mode: orosync::config::SyncMode::Manual,
            conflict_resolution: orosync::settings::ConflictSetting::Ask,
        };
        let demo = demo_rt
            .block_on(orosync::demo::Demo::start_with(&dir, options))
            .expect("the demo servers start on loopback");
        let secrets = demo.secrets();
        // An existing profile already has its history; don't add to it.
        if !had_profile && !args.demo_fresh {
            match demo_rt.block_on(demo.run()) {
                Ok(report) => eprintln!(
                    "orosync-tray --demo: two runs made ({} and {} changes); {} conflict(s) wait for your choice",
                    report.first.total_writes(),
                    report.second.total_writes(),
                    report.second.conflicts.len()
                ),
                Err(e) => eprintln!("orosync-tray --demo: the demo's runs failed: {e}"),
            }
        }
        eprintln!(
            "orosync-tray --demo: Oro at {}, Microsoft Graph at {}, profile {}",
            demo.oro_url,
            demo.graph_url,
            dir.display()
        );
        // Kept alive (and serving) until the process ends.
        Box::leak(Box::new(demo));
        std::mem::forget(demo_rt);
        (dir, secrets)
    } else {
        let dir = match &args.profile {
            Some(d) => d.clone(),
            None => orosync::profile::Profile::default_dir().unwrap_or_else(|e| {
                eprintln!("orosync-tray: {e}");
                std::process::exit(2)
            }),
        };
        let secrets = Arc::new(orosync::secrets::EnvFirst::new(
            orosync::secrets::KeyringStore::new(dir.display().to_string()),
        ));
        (dir, secrets)
    };
    let needs_setup = !orosync::profile::Profile::at(&dir).config_path().exists();
    // A profile that is set up gets its folders (and so its log) now; one
    // that is not is made by the first-run setup's "Start sync" only.
    if !needs_setup {
        let _ = orosync::profile::Profile::open(&dir);
    }
    init_logging(&dir);
    // Set in `setup`, once there is an app handle to open the window with.
    let on_activate: Arc<std::sync::OnceLock<AppHandle<tauri::Wry>>> = Default::default();
    let handle_slot = on_activate.clone();
    let desktop = notify::Desktop {
        on_activate: Some(Arc::new(move |tab: &'static str| {
            if let Some(app) = handle_slot.get() {
                let app2 = app.clone();
                let _ = app.run_on_main_thread(move || {
                    let _ = tray::open_settings(&app2, Some(tab));
                });
            }
        })),
    };
    let tray_state = Tray::new(dir.clone(), secrets, Arc::new(desktop));
    let open_tab = args.settings.clone();
    let zoom = args.zoom;
    let args_profile = args.profile.clone().filter(|_| !args.demo);
    let throw_away = (args.demo && args.profile.is_none()).then(|| dir.clone());
    // tauri-driver sets this: show the window so WebDriver can use it.
    let automation = std::env::var_os("TAURI_WEBVIEW_AUTOMATION").is_some();

    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            let _ = tray::open_settings(app, None);
        }))
        .plugin(tauri_plugin_clipboard_manager::init());
    let app = create_app(builder, tray_state)
        .setup(move |app| {
            let _ = on_activate.set(app.handle().clone());
            app.manage(tray::LaunchProfile(args_profile.clone()));
            // `--demo` without `--profile`: the throw-away profile goes on Quit.
            app.manage(tray::ThrowAway(throw_away.clone()));
            if let Some(z) = zoom {
                app.manage(window::WindowZoom(z));
            }
            // The settings window gets a process of its own, so closing it
            // gives back what WebKit took (docs/benchmarks.md, "Tray app").
            // WebDriver sessions reach it too: the window process inherits
            // the driver's environment and is the one that shows a web view.
            match std::env::current_exe() {
                Ok(exe) => {
                    let unset = if gl_off { vec!["GDK_GL"] } else { vec![] };
                    app.manage(window::host::WindowHost::new(exe).unsetting(unset));
                }
                Err(e) => tracing::warn!("the settings window opens in the tray's process: {e}"),
            }
            if let Err(e) = tray::create(app.handle()) {
                tracing::warn!("no tray icon: {e}");
            }
            if needs_setup || automation || open_tab.is_some() {
                let tab = match open_tab.as_deref() {
                    Some("") | None => needs_setup.then_some("connection"),
                    Some(t) => Some(t),
                };
                tray::open_settings(app.handle(), tab)?;
            }
            tauri::async_runtime::spawn(drive(app.handle().clone()));
            Ok(())
        })
        .build(context::context());
    // A failed start (no display, a window that cannot be made) is one clear
    // line and exit 1, not a panic with a backtrace.
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("orosync-tray: cannot start: {e}");
            std::process::exit(1);
        }
    };
    app.run(|_app, event| {
        // Closing the settings window leaves the tray running; only Quit ends it.
        if let RunEvent::ExitRequested {
            code: None, api, ..
        } = event
        {
            api.prevent_exit();
        }
    });
}

#[cfg(test)]
mod tests;
