//! What the WebDriver tests share: tauri-driver started in a process group
//! of its own, a session on the real app, and waiting on and typing into
//! the window's elements.

use fantoccini::{Client, ClientBuilder, Locator};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Driver(Child);

impl Drop for Driver {
    /// tauri-driver leaves WebKitWebDriver (and the app) behind when it is
    /// killed alone: end its whole process group.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

// The process helpers are used by e2e.rs only.
/// A process under tauri-driver (WebKitWebDriver, the app, its window
/// process, WebKit's processes).
#[allow(dead_code)]
#[derive(Clone, Debug)]
pub struct Proc {
    pub pid: u32,
    pub parent: u32,
    /// The short name (`/proc/PID/comm`), e.g. `WebKitWebProces`.
    pub name: String,
    pub args: Vec<String>,
}

#[allow(dead_code)]
impl Driver {
    /// Every process descended from tauri-driver, now.
    pub fn processes(&self) -> Vec<Proc> {
        let all: Vec<Proc> = std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter_map(|pid| {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
                // "PID (NAME) STATE PPID ...": NAME may hold spaces.
                let after = &stat[stat.rfind(')')? + 2..];
                let parent = after.split(' ').nth(1)?.parse().ok()?;
                let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
                let args = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
                Some(Proc {
                    pid,
                    parent,
                    name: name.trim_end().to_string(),
                    args: args
                        .split(|b| *b == 0)
                        .filter(|a| !a.is_empty())
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect(),
                })
            })
            .collect();
        descendants(&all, self.0.id())
    }
}

/// The processes of `all` descended from `root`.
#[allow(dead_code)]
pub fn descendants(all: &[Proc], root: u32) -> Vec<Proc> {
    let mut out: Vec<Proc> = vec![];
    let mut parents = vec![root];
    while let Some(p) = parents.pop() {
        for c in all.iter().filter(|c| c.parent == p) {
            parents.push(c.pid);
            out.push(c.clone());
        }
    }
    out
}

/// Set by scripts/e2e.sh, which provides the display and the D-Bus session.
pub fn enabled() -> bool {
    std::env::var_os("OROSYNC_TEST_E2E").is_some()
}

/// Two loopback ports free now, different from each other: both bound at
/// once to port 0, then let go for tauri-driver and WebKitWebDriver to
/// bind. No program of theirs takes a bound socket, so another process
/// may take a port in between: [`start`] checks that the driver's own
/// processes listen on both, and starts again on other ports if not.
fn two_free_ports() -> (u16, u16) {
    let a = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let b = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

/// The inodes of the sockets listening on `port` on any address
/// (`/proc/net/tcp` and `tcp6`: "sl local rem st ... inode").
fn listening_inodes(port: u16) -> Vec<String> {
    let port = format!("{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|t| {
            t.lines()
                .skip(1)
                .filter_map(|l| {
                    let f: Vec<&str> = l.split_whitespace().collect();
                    // 0A: LISTEN.
                    let ours = f.get(1)?.rsplit(':').next()? == port && *f.get(3)? == "0A";
                    ours.then(|| f.get(9).map(|i| i.to_string()))?
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Does process `pid` hold one of the sockets `inodes`?
fn holds(pid: u32, inodes: &[String]) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .any(|l| {
            let l = l.to_string_lossy();
            inodes.iter().any(|i| l == format!("socket:[{i}]"))
        })
}

impl Driver {
    /// Is each of `ports` listened on by tauri-driver or a process under
    /// it (and so not by some other program that took the port first)?
    fn listens_on(&self, ports: &[u16]) -> bool {
        let mut pids = vec![self.0.id()];
        pids.extend(self.processes().iter().map(|p| p.pid));
        ports.iter().all(|port| {
            let inodes = listening_inodes(*port);
            !inodes.is_empty() && pids.iter().any(|pid| holds(*pid, &inodes))
        })
    }

    fn ended(&mut self) -> bool {
        !matches!(self.0.try_wait(), Ok(None))
    }
}

/// tauri-driver (`TAURI_DRIVER`, else on the PATH) on two free ports,
/// once both it and WebKitWebDriver listen on theirs.
fn driver_on_free_ports() -> (Driver, u16) {
    for _ in 0..10 {
        let (port, native) = two_free_ports();
        let child =
            Command::new(std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into()))
                .args(["--port", &port.to_string()])
                .args(["--native-port", &native.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .process_group(0)
                .spawn()
                .expect("tauri-driver on the PATH (cargo install tauri-driver --locked)");
        let mut driver = Driver(child);
        // A port taken meanwhile: tauri-driver ends (it cannot listen), or
        // WebKitWebDriver does and nobody of ours ever listens on it. The
        // deadline is generous: it is only there to give up on such a start.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if driver.listens_on(&[port, native]) {
                return (driver, port);
            }
            if driver.ended() || Instant::now() > deadline {
                eprintln!("tauri-driver did not get ports {port} and {native}; trying others");
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Dropped: its process group is ended.
    }
    panic!("tauri-driver never listened on free ports in 10 tries");
}

/// tauri-driver on free ports (see [`driver_on_free_ports`]) and a session
/// on `orosync-tray` started with `args`.
pub async fn start(args: &[&str]) -> (Driver, Client) {
    // Two TLS back-ends are in the build; WebDriver is plain HTTP on
    // loopback, but fantoccini's builder wants one chosen.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (driver, port) = tokio::task::spawn_blocking(driver_on_free_ports)
        .await
        .unwrap();
    let caps: serde_json::Map<String, serde_json::Value> =
        serde_json::from_value(serde_json::json!({
            "tauri:options": {
                "application": env!("CARGO_BIN_EXE_orosync-tray"),
                "args": args,
            }
        }))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        // A session whose app did not come up (seen once on a loaded
        // machine) can hang its request: give up on it and start another.
        let mut builder = ClientBuilder::rustls().expect("tls");
        builder.capabilities(caps.clone());
        let url = format!("http://127.0.0.1:{port}");
        let attempt = builder.connect(&url);
        let session = match tokio::time::timeout(Duration::from_secs(40), attempt).await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err("no answer in 40 s".to_string()),
        };
        match session {
            Ok(c) => return (driver, c),
            Err(e) if Instant::now() < deadline => {
                eprintln!("waiting for tauri-driver: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => panic!("no WebDriver session: {e}"),
        }
    }
}

/// Wait until the element's text satisfies `ok`; returns that text.
pub async fn wait_text(c: &Client, loc: Locator<'_>, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(e) = c.find(loc).await {
            if let Ok(t) = e.text().await {
                if ok(&t) {
                    return t;
                }
                last = t;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting on {loc:?}; last text {last:?}");
}

pub async fn click(c: &Client, id: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click #{id}: {e}"));
}

pub async fn type_into(c: &Client, id: &str, text: &str) {
    let e = c
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("#{id}: {e}"));
    e.clear().await.unwrap();
    // WebDriver refuses to send no keys: an empty text is the clear alone.
    if !text.is_empty() {
        e.send_keys(text).await.unwrap();
    }
}

/// A Secret Service for an app that is not on the demo (which keeps its
/// secrets in memory): an unlocked throw-away gnome-keyring on this
/// (private) session bus, once per test process. Without it the app's
/// first keyring read would start one by D-Bus activation, locked, and
/// the tests after it (in other processes on the same bus) would meet a
/// keyring they cannot unlock.
#[allow(dead_code)]
pub fn keyring() {
    use std::io::Write;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let mut child = Command::new("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon (apt-get install gnome-keyring)");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"orosync-e2e")
            .unwrap();
        // It forks the daemon and exits once the keyring is unlocked.
        assert!(child.wait().unwrap().success());
    });
}
