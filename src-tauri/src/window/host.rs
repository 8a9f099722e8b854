//! The tray's side of a settings window in its own process: it starts
//! `orosync-tray --window SPEC`, runs the commands the window's page
//! invokes (through [`AnswerCalls`], which the command list implements)
//! and sends it the tray's events.
//!
//! Why a process: WebKitGTK keeps its network process, and the tray the
//! library pages the window touched, for the life of the process that
//! showed a web view (docs/benchmarks.md, "Tray app"). A window process
//! takes all of that with it when it ends, so the tray goes back to its
//! idle size after the window is closed.

use super::protocol::{AnswerCalls, ToTray, ToWindow, WindowSpec};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Manager, Runtime};

/// The open window's process, if any.
pub struct WindowHost {
    exe: PathBuf,
    /// Variables the tray set for itself, not for the window.
    unset: Vec<&'static str>,
    current: Mutex<Option<Link>>,
    next_generation: Mutex<u64>,
}

/// One window process: its stdin (the tray's messages) and the process.
struct Link {
    generation: u64,
    stdin: Arc<Mutex<ChildStdin>>,
    child: Child,
}

impl WindowHost {
    /// Windows are shown by `exe` (this program) run with `--window`.
    pub fn new(exe: PathBuf) -> WindowHost {
        WindowHost {
            exe,
            unset: vec![],
            current: Mutex::new(None),
            next_generation: Mutex::new(0),
        }
    }

    /// Start windows without these environment variables.
    pub fn unsetting(mut self, vars: Vec<&'static str>) -> WindowHost {
        self.unset = vars;
        self
    }

    /// Is a window process running?
    pub fn is_open(&self) -> bool {
        let mut g = self.current.lock().unwrap_or_else(|e| e.into_inner());
        match g.as_mut() {
            Some(link) => matches!(link.child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// The window process's id, while there is one.
    pub fn pid(&self) -> Option<u32> {
        let g = self.current.lock().unwrap_or_else(|e| e.into_inner());
        g.as_ref().map(|l| l.child.id())
    }

    /// Show the window: the running one to the front (on `tab`), else a new
    /// process showing `spec`.
    pub fn open<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        spec: &WindowSpec,
        tab: Option<&str>,
    ) -> std::io::Result<()> {
        if self.is_open()
            && self.send(&ToWindow::Show {
                tab: tab.map(str::to_string),
            })
        {
            return Ok(());
        }
        let mut cmd = Command::new(&self.exe);
        // The window (and WebKit under it) never talks to a server: no
        // secret of the environment goes to it.
        orosync::desktop::without_secrets(&mut cmd);
        for v in &self.unset {
            cmd.env_remove(v);
        }
        let mut child = cmd
            .arg("--window")
            .arg(serde_json::to_string(spec).expect("a window spec serializes"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = Arc::new(Mutex::new(child.stdin.take().expect("piped")));
        let stdout = child.stdout.take().expect("piped");
        let generation = {
            let mut n = self
                .next_generation
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            *n += 1;
            *n
        };
        tracing::info!("settings window opened (process {})", child.id());
        let old = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace(Link {
                generation,
                stdin: stdin.clone(),
                child,
            });
        if let Some(mut old) = old {
            let _ = old.child.kill();
            let _ = old.child.wait();
        }
        let app = app.clone();
        std::thread::Builder::new()
            .name("settings-window".into())
            .spawn(move || serve(app, generation, stdout, stdin))?;
        Ok(())
    }

    /// Send `msg` to the window, if one is open; false when none took it.
    pub fn send(&self, msg: &ToWindow) -> bool {
        let stdin = {
            let g = self.current.lock().unwrap_or_else(|e| e.into_inner());
            match g.as_ref() {
                Some(l) => l.stdin.clone(),
                None => return false,
            }
        };
        write_to(&stdin, msg)
    }

    /// The tray quits: the window is asked to close, and ended if it has
    /// not within a second.
    pub fn shutdown(&self) {
        let link = self
            .current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(mut link) = link {
            write_to(&link.stdin, &ToWindow::Close);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
            while std::time::Instant::now() < deadline {
                if !matches!(link.child.try_wait(), Ok(None)) {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let _ = link.child.kill();
            let _ = link.child.wait();
        }
    }

    /// The window process of `generation` ended: forget it (and reap it).
    fn ended(&self, generation: u64) -> bool {
        let mut g = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if g.as_ref().is_some_and(|l| l.generation == generation) {
            if let Some(mut link) = g.take() {
                match link.child.wait() {
                    Ok(status) if !status.success() => {
                        tracing::warn!("the settings window's process ended: {status}")
                    }
                    _ => {}
                }
            }
            return true;
        }
        false
    }
}

fn write_to(stdin: &Mutex<ChildStdin>, msg: &ToWindow) -> bool {
    let mut w = stdin.lock().unwrap_or_else(|e| e.into_inner());
    w.write_all(msg.line().as_bytes())
        .and_then(|()| w.flush())
        .is_ok()
}

/// Read the window's calls until it ends; each is run on the async runtime
/// (some wait minutes for the user) and answered on that window's stdin.
fn serve<R: Runtime>(
    app: AppHandle<R>,
    generation: u64,
    stdout: std::process::ChildStdout,
    stdin: Arc<Mutex<ChildStdin>>,
) {
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        match ToTray::parse(&line) {
            None => tracing::debug!("settings window: {line}"),
            Some(Err(e)) => tracing::warn!("settings window sent a malformed line: {e}"),
            Some(Ok(ToTray::Call { id, cmd, args })) => {
                let app = app.clone();
                let stdin = stdin.clone();
                tauri::async_runtime::spawn(async move {
                    let result = app.answer_call(&cmd, &args).await;
                    write_to(&stdin, &ToWindow::Reply { id, result });
                });
            }
        }
    }
    // Closed (or gone): what closing the in-process window does.
    let current = app
        .try_state::<WindowHost>()
        .is_some_and(|h| h.ended(generation));
    if current {
        tracing::info!("settings window closed");
        if let Some(s) = app.try_state::<crate::setup_session::SetupSession>() {
            s.discard();
        }
    }
}
