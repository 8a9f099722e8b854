//! The `orosync` binary against the fake Oro and fake Graph on loopback,
//! with a profile in a temporary folder and secrets in the environment:
//! what the kill trials, fault, secret and backup tests share.

#![allow(dead_code)] // each test file uses its own part of this

use orosync::model::{Item, Kind, Priority};
use orosync::state::State;
use orosync_fakes::graph::{FakeGraph, FakeOptions};
use orosync_fakes::oro::{FakeOro, FakeOroOptions};
use orosync_testkit::prelude::*;
use orosync_testkit::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Both fakes and a profile pointed at them.
pub struct World {
    pub oro: FakeOro,
    pub graph: FakeGraph,
    pub dir: tempfile::TempDir,
}

/// What one finished process said.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

impl World {
    pub async fn new() -> World {
        Self::with(FakeOroOptions::default(), FakeOptions::default(), "").await
    }

    /// Fakes with these options; `extra` goes at the end of `[sync]`.
    pub async fn with(oro: FakeOroOptions, graph: FakeOptions, extra: &str) -> World {
        let w = World {
            oro: FakeOro::start(oro).await.expect("fake Oro"),
            graph: FakeGraph::start(graph).await.expect("fake Graph"),
            dir: tempfile::tempdir().expect("temp dir"),
        };
        w.write_config(extra);
        w
    }

    pub fn profile(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_text(&self, extra: &str) -> String {
        format!(
            r#"[oro]
url = "{oro}"
username = "{user}"
auth = "wsse"

[outlook]
client_id = "orosync-test"
graph_url = "{graph}"
login_url = "{login}"

[sync]
time_zone = "UTC"
{extra}
"#,
            oro = self.oro.url(),
            user = self.oro.options().username,
            graph = self.graph.url(),
            login = self.graph.login_url(),
        )
    }

    pub fn write_config(&self, extra: &str) {
        std::fs::write(self.profile().join("config.toml"), self.config_text(extra)).unwrap();
    }

    pub fn api_key(&self) -> String {
        self.oro.options().api_key.clone()
    }

    /// `orosync --profile <dir> <args>` with the secrets in the environment.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_with(args, &self.api_key(), &self.graph.issue_refresh_token())
    }

    pub fn command_with(&self, args: &[&str], api_key: &str, refresh: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_orosync"));
        cmd.arg("--profile").arg(self.profile()).args(args);
        cmd.env("OROSYNC_ORO_API_KEY", api_key);
        cmd.env("OROSYNC_OUTLOOK_REFRESH_TOKEN", refresh);
        // No keyring: secrets come from the environment only.
        cmd.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
        cmd.env_remove("RUST_LOG");
        cmd.stdin(Stdio::null());
        cmd
    }

    /// Run to the end (the fakes keep serving meanwhile: they live on this
    /// test's runtime, so the wait must not block it).
    pub async fn run(&self, args: &[&str]) -> Run {
        run_command(self.command(args)).await
    }

    pub async fn sync(&self, direction: &str) -> Run {
        self.run(&["sync", "--yes", "--json", "--direction", direction])
            .await
    }

    pub fn state_path(&self) -> PathBuf {
        self.profile().join("state.sqlite3")
    }

    /// `PRAGMA integrity_check` and the state's own invariants.
    pub fn state_problems(&self) -> Vec<String> {
        if !self.state_path().exists() {
            return vec![];
        }
        let st = State::open(&self.state_path()).expect("state opens");
        st.check().expect("check runs")
    }

    /// Seed data for a first sync: records on both sides, one pair that
    /// matches by key, unlinked Outlook items of each kind (created in Oro:
    /// the dangerous case), and an item stamped by an earlier profile.
    pub fn seed_first(&self) {
        self.oro.user_create(&contact("Ann", "Lee"));
        self.oro.user_create(&contact("Bo", "Chen"));
        self.oro.user_create(&task("Call Bob", Priority::High));
        self.oro.user_create(&event("Review", 2));
        self.graph.user_create_item(&contact("ann", "LEE"), None);
        self.graph.user_create_item(&contact("Cy", "Diaz"), None);
        self.graph
            .user_create_item(&task("Write memo", Priority::Low), None);
        self.graph.user_create_item(&event("Lunch", 3), None);
        self.graph
            .user_create_item(&contact("Old", "Link"), Some("999"));
    }

    /// After a first sync: edits on each side (key edits among them),
    /// deletions on each side, a pair edited on both, and new records on
    /// both (again unlinked Outlook items of every kind).
    pub fn edit_after_first(&self) {
        let linked = |kind: Kind, pick: &dyn Fn(&Item) -> bool| -> (String, String) {
            let it = self
                .graph
                .items(kind)
                .into_iter()
                .find(|i| pick(&i.item))
                .expect("item");
            (it.id.clone(), it.link.clone().expect("linked"))
        };
        let name = |i: &Item, n: &str| match i {
            Item::Contacts(c) => c.first_name.as_deref().map(str::to_lowercase) == Some(n.into()),
            Item::Tasks(t) => t.subject == n,
            Item::Events(e) => e.title == n,
        };
        // Oro edit.
        let (_, ann) = linked(Kind::Contacts, &|i| name(i, "ann"));
        self.oro.user_edit(Kind::Contacts, &ann, |r| {
            r.attributes.insert("jobTitle".into(), "CEO".into());
        });
        // Outlook edit.
        let (bob, _) = linked(Kind::Tasks, &|i| name(i, "Call Bob"));
        let mut it = self
            .graph
            .items(Kind::Tasks)
            .into_iter()
            .find(|i| i.id == bob)
            .unwrap();
        edit_note(&mut it.item, "edited in Outlook");
        self.graph.user_edit_item(&bob, &it.item);
        // Both sides: a conflict.
        let (cy_item, cy) = linked(Kind::Contacts, &|i| name(i, "cy"));
        self.oro.user_edit(Kind::Contacts, &cy, |r| {
            r.attributes.insert("jobTitle".into(), "Oro title".into());
        });
        let mut it = self
            .graph
            .items(Kind::Contacts)
            .into_iter()
            .find(|i| i.id == cy_item)
            .unwrap();
        edit_note(&mut it.item, "Outlook title");
        self.graph.user_edit_item(&cy_item, &it.item);
        // Deleted in Outlook; deleted in Oro.
        let (review, _) = linked(Kind::Events, &|i| name(i, "Review"));
        self.graph.user_delete(&review);
        let (_, bo) = linked(Kind::Contacts, &|i| name(i, "bo"));
        self.oro.user_delete(Kind::Contacts, &bo);
        // Key edits: a task retitled in Oro, an event renamed and moved in
        // Outlook (the pair is found by its link, not by its key).
        let (_, memo) = linked(Kind::Tasks, &|i| name(i, "Write memo"));
        self.oro.user_edit(Kind::Tasks, &memo, |r| {
            r.attributes
                .insert("subject".into(), "Write the memo".into());
        });
        let (lunch, _) = linked(Kind::Events, &|i| name(i, "Lunch"));
        let mut it = self
            .graph
            .items(Kind::Events)
            .into_iter()
            .find(|i| i.id == lunch)
            .unwrap();
        rename(&mut it.item, "Team lunch");
        self.graph.user_edit_item(&lunch, &it.item);
        // New on both sides.
        self.oro.user_create(&contact("Dee", "Fox"));
        self.oro.user_create(&task("Plan Q1", Priority::Normal));
        self.graph.user_create_item(&contact("Eve", "Gray"), None);
        self.graph
            .user_create_item(&task("File taxes", Priority::High), None);
        self.graph.user_create_item(&event("Dentist", 5), None);
    }

    /// What the user sees on both sides, ids left out: each Oro record's
    /// attributes and relationships; each Outlook item's mapped values and
    /// the Oro record its `OroCRM_id` points to (by that record's values,
    /// so equal outcomes with other ids compare equal).
    pub fn picture(&self) -> Picture {
        let mut oro = vec![];
        let mut by_id = std::collections::BTreeMap::new();
        for k in Kind::ALL {
            for r in self.oro.all(k) {
                let text = format!(
                    "{k} {} {}",
                    serde_json::Value::Object(r.attributes.clone()),
                    serde_json::to_string(&r.relationships).unwrap()
                );
                by_id.insert((k, r.id.to_string()), text.clone());
                oro.push(text);
            }
        }
        let mut outlook = vec![];
        for k in Kind::ALL {
            for i in self.graph.items(k) {
                let target = match &i.link {
                    None => "unlinked".to_string(),
                    Some(l) => by_id
                        .get(&(k, l.clone()))
                        .map(|t| format!("-> [{t}]"))
                        .unwrap_or_else(|| "-> missing Oro record".to_string()),
                };
                outlook.push(format!(
                    "{k} {} {target}",
                    serde_json::to_string(&i.item).unwrap()
                ));
            }
        }
        oro.sort();
        outlook.sort();
        Picture { oro, outlook }
    }

    /// Two Outlook items of a kind carrying one Oro id.
    pub fn doubly_linked(&self) -> Vec<String> {
        let mut out = vec![];
        for k in Kind::ALL {
            let mut links: Vec<String> = self
                .graph
                .items(k)
                .into_iter()
                .filter_map(|i| i.link)
                .collect();
            links.sort();
            for w in links.windows(2) {
                if w[0] == w[1] {
                    out.push(format!("{k}: Oro id {} on two Outlook items", w[0]));
                }
            }
        }
        out
    }

    /// What a run left: both sides' picture, and how many records it
    /// created in Oro and in Outlook.
    pub fn outcome(&self) -> Outcome {
        (
            self.picture(),
            self.oro.writes().created,
            self.graph.writes().created,
        )
    }

    /// After a faulty run: with the faults cleared, a rerun exits 0, the
    /// state passes its checks, no Oro id is on two Outlook items, and both
    /// sides equal `reference` with as many creates (nothing made twice).
    pub async fn rerun_matches(&self, name: &str, reference: &Outcome) {
        self.oro.clear_faults();
        self.graph.clear_faults();
        let again = self.sync("bidirectional").await;
        assert_eq!(again.code, 0, "{name}: clean rerun: {}", again.stderr);
        assert!(
            self.state_problems().is_empty(),
            "{name}: {:?}",
            self.state_problems()
        );
        assert!(
            self.doubly_linked().is_empty(),
            "{name}: {:?}",
            self.doubly_linked()
        );
        let got = self.picture();
        assert!(
            got == reference.0,
            "{name}: outcome differs:\n{}",
            got.diff(&reference.0)
        );
        assert_eq!(
            self.oro.writes().created,
            reference.1,
            "{name}: Oro creates"
        );
        assert_eq!(
            self.graph.writes().created,
            reference.2,
            "{name}: Outlook creates"
        );
    }
}

/// [`World::outcome`]: the picture, Oro creates, Outlook creates.
pub type Outcome = (Picture, usize, usize);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picture {
    pub oro: Vec<String>,
    pub outlook: Vec<String>,
}

impl Picture {
    /// The lines of each side that differ, for a readable failure.
    pub fn diff(&self, other: &Picture) -> String {
        let mut out = String::new();
        for (side, a, b) in [
            ("oro", &self.oro, &other.oro),
            ("outlook", &self.outlook, &other.outlook),
        ] {
            for l in a.iter().filter(|l| !b.contains(l)) {
                out.push_str(&format!("  {side} only in this: {l}\n"));
            }
            for l in b.iter().filter(|l| !a.contains(l)) {
                out.push_str(&format!("  {side} only in other: {l}\n"));
            }
            if a.len() != b.len() {
                out.push_str(&format!("  {side}: {} vs {} records\n", a.len(), b.len()));
            }
        }
        out
    }
}

pub async fn run_command(mut cmd: Command) -> Run {
    let start = Instant::now();
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
        took: start.elapsed(),
    }
}

/// Start a process with its output thrown away (a killed one says nothing
/// useful).
pub fn spawn_quiet(mut cmd: Command) -> Child {
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    cmd.spawn().expect("starts")
}

/// A TLS front with a self-signed certificate for a plain-HTTP fake on
/// loopback (`https://localhost:PORT` → `127.0.0.1:backend`), as a
/// self-signed Oro server would be; its certificate can be replaced, as a
/// server's is when it is renewed (or when someone is in the middle).
pub struct TlsFront {
    pub port: u16,
    current: std::sync::Arc<std::sync::Mutex<(tokio_rustls::TlsAcceptor, Vec<u8>)>>,
}

fn self_signed_acceptor() -> (tokio_rustls::TlsAcceptor, Vec<u8>) {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("certificate");
    let der = ck.cert.der().to_vec();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(der.clone())], key)
        .expect("server config");
    (
        tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(cfg)),
        der,
    )
}

/// A certificate for localhost signed by a fresh CA: the acceptor, the
/// leaf's DER, and the CA certificate as PEM (to trust through
/// `SSL_CERT_FILE`, which the OS-roots loader reads instead of the system's).
fn ca_signed_acceptor() -> ((tokio_rustls::TlsAcceptor, Vec<u8>), String) {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "OroSync test CA");
    let ca = ca_params.self_signed(&ca_key).expect("CA");
    let key = rcgen::KeyPair::generate().expect("key");
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .expect("params")
        .signed_by(&key, &ca, &ca_key)
        .expect("leaf");
    let der = leaf.der().to_vec();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .expect("server config");
    (
        (
            tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(cfg)),
            der,
        ),
        ca.pem(),
    )
}

impl TlsFront {
    pub async fn start(backend: u16) -> TlsFront {
        Self::serve(backend, self_signed_acceptor()).await
    }

    /// With a certificate from a CA; returns the CA's PEM too.
    pub async fn start_ca_signed(backend: u16) -> (TlsFront, String) {
        let (acceptor, ca) = ca_signed_acceptor();
        (Self::serve(backend, acceptor).await, ca)
    }

    async fn serve(backend: u16, first: (tokio_rustls::TlsAcceptor, Vec<u8>)) -> TlsFront {
        let current = std::sync::Arc::new(std::sync::Mutex::new(first));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("port").port();
        let cur = current.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = cur.lock().expect("front").0.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut plain) =
                        tokio::net::TcpStream::connect(("127.0.0.1", backend)).await
                    else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        TlsFront { port, current }
    }

    pub fn url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    /// The SHA-256 of the certificate presented now.
    pub fn fingerprint(&self) -> orosync::oro::tls::Fingerprint {
        orosync::oro::tls::Fingerprint::of(&self.current.lock().expect("front").1)
    }

    /// Present a new self-signed certificate from now on.
    pub fn replace_certificate(&self) {
        *self.current.lock().expect("front") = self_signed_acceptor();
    }
}

/// The port of a `http://127.0.0.1:PORT` URL.
pub fn port_of(url: &str) -> u16 {
    url::Url::parse(url)
        .expect("url")
        .port_or_known_default()
        .expect("port")
}

/// A fake Oro with its options changed by `f`.
pub async fn fake_oro_with(f: impl FnOnce(&mut FakeOroOptions)) -> FakeOro {
    let mut o = FakeOroOptions::default();
    f(&mut o);
    FakeOro::start(o).await.expect("fake Oro starts")
}

/// A client of `fake` signing in with its user's API key (WSSE), with a
/// short request timeout; `page_size` also sets the id listing's page
/// (`None`: the client's defaults), so small data still spans pages.
pub fn oro_config(fake: &FakeOro, page_size: Option<u32>) -> orosync::oro::OroConfig {
    let o = fake.options();
    let mut c = orosync::oro::OroConfig::new(
        &fake.url(),
        &o.username,
        orosync::oro::OroAuth::Wsse {
            api_key: orosync::secrets::Secret::new(o.api_key.clone()),
        },
    );
    if let Some(n) = page_size {
        c.page_size = n;
        c.id_page_size = n;
    }
    c.timeout = Duration::from_secs(5);
    c
}
