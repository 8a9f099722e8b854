//! The built-in demo (docs/cli.md, "Demo"), shared by `orosync demo` and
//! the tray app's `--demo`: the fake Oro and the fake Graph on loopback,
//! filled with [`sample`] data, and a throw-away profile pointing at them.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use orosync::demo::Demo;
//! let demo = Demo::start().await?;
//! let report = demo.run().await?;        // first sync, user edits, second sync
//! println!("{}", report.describe());
//! println!("profile: {}", demo.profile_dir.display());
//! # Ok(()) }
//! ```
//!
//! The servers live as long as the [`Demo`] value, inside the caller's
//! tokio runtime.

pub mod sample;
mod seed;

use crate::app::{App, AppError, SyncRequest};
use crate::config::SyncMode;
use crate::model::{Item, Kind};
use crate::secrets::{
    self, KeyringStore, MemorySecrets, Secret, SecretError, SecretStore, ENV_VARS,
};
use crate::settings::ConflictSetting;
use crate::summary::Summary;
use orosync_fakes::graph::{FakeGraph, FakeOptions};
use orosync_fakes::oro::{FakeOro, FakeOroOptions};
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The Entra app id the demo profile names; the fake accepts any.
pub const DEMO_CLIENT_ID: &str = "orosync-demo";

/// How the demo profile syncs. The default is what `orosync demo` writes
/// (manual, Oro wins); the tray's `--demo` asks instead, so the demo's
/// conflict waits in its Conflicts tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoOptions {
    pub mode: SyncMode,
    pub conflict_resolution: ConflictSetting,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            mode: SyncMode::Manual,
            conflict_resolution: ConflictSetting::OroWins,
        }
    }
}

/// What the first sync of the demo creates, per kind: (created in Oro,
/// created in Outlook) — the records that start on one side only. The
/// records on both sides are linked by key, not created.
pub fn first_sync_creates() -> [(Kind, usize, usize); 3] {
    [
        (Kind::Contacts, sample::CONTACTS),
        (Kind::Tasks, sample::TASKS),
        (Kind::Events, sample::EVENTS),
    ]
    .map(|(k, s)| (k, s.outlook_only, s.oro_only))
}

/// Oro ids of the sample records, by kind and group, as created.
#[derive(Clone, Debug, Default)]
struct OroIds {
    oro_only: Vec<String>,
    both: Vec<String>,
}

/// A running demo: both fakes, their sample data, and the profile.
pub struct Demo {
    /// The throw-away profile (config.toml, state, logs, backups).
    pub profile_dir: PathBuf,
    /// Oro's base URL (what `[oro] url` holds).
    pub oro_url: String,
    /// Graph's base URL, ending in `/v1.0`.
    pub graph_url: String,
    /// The fake identity platform (`[outlook] login_url`).
    pub login_url: String,
    pub oro: FakeOro,
    pub graph: FakeGraph,
    /// The demo's secrets, in memory: the API key and a refresh token, as
    /// if the user had signed in. Never written to config, logs or SQLite.
    secrets: MemorySecrets,
    ids: BTreeMap<Kind, OroIds>,
}

/// What [`Demo::run`] did.
#[derive(Clone, Debug)]
pub struct DemoReport {
    pub first: Summary,
    /// The user's edits between the syncs, in plain words.
    pub edits: Vec<String>,
    pub second: Summary,
}

/// Where the secrets for a later `orosync --profile DIR sync` went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretsHandOff {
    /// In the OS keyring, under the profile's accounts.
    Keyring,
    /// No usable keyring: these `export` lines give them to a shell.
    Environment(Vec<String>),
}

impl Demo {
    /// A new, empty profile folder under the system's temporary folder,
    /// named by time and process so two demos never share one.
    pub fn new_profile_dir() -> io::Result<PathBuf> {
        let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
        let dir = std::env::temp_dir().join(format!("orosync-demo-{stamp}-{}", std::process::id()));
        // Private (0700), like every profile: it will hold personal data.
        crate::profile::Profile::open(&dir)?;
        // The keyring account and `--profile` name the folder by its
        // absolute path; make sure both see the same text.
        std::path::absolute(&dir)
    }

    /// Start the demo in a new temporary profile.
    pub async fn start() -> io::Result<Demo> {
        let dir = Self::new_profile_dir()?;
        Self::start_in(&dir).await
    }

    /// Start both fakes with the sample data and write the profile's
    /// `config.toml` in `dir` (which should be empty or new).
    pub async fn start_in(dir: &Path) -> io::Result<Demo> {
        Self::start_with(dir, DemoOptions::default()).await
    }

    /// [`start_in`](Self::start_in), with the profile syncing as `options`
    /// says. An existing `config.toml` in `dir` is replaced: it would point
    /// at the fakes of an earlier demo, whose ports are gone.
    pub async fn start_with(dir: &Path, options: DemoOptions) -> io::Result<Demo> {
        // Private like any profile (docs/reliability.md).
        crate::private_fs::create_dir(dir)?;
        let dir = std::path::absolute(dir)?;
        let oro = FakeOro::start(FakeOroOptions::default()).await?;
        let graph = FakeGraph::start(FakeOptions {
            // Fewer round trips than Graph's default of 10 keeps the demo
            // quick; paging is still exercised.
            page_size: 100,
            ..FakeOptions::default()
        })
        .await?;
        let secrets = MemorySecrets::new();
        let set = |name: &str, v: String| {
            secrets
                .set(name, &Secret::new(v))
                .expect("memory store never fails")
        };
        set(secrets::ORO_API_KEY, oro.options().api_key.clone());
        set(secrets::OUTLOOK_REFRESH_TOKEN, graph.issue_refresh_token());
        let mut demo = Demo {
            profile_dir: dir,
            oro_url: oro.url(),
            graph_url: graph.url(),
            login_url: graph.login_url(),
            oro,
            graph,
            secrets,
            ids: BTreeMap::new(),
        };
        demo.fill();
        // Through the one writer of config.toml, which checks it first.
        let profile = crate::profile::Profile {
            dir: demo.profile_dir.clone(),
        };
        crate::config::Config::save_text(&profile.config_path(), &demo.config_toml(options))
            .map_err(io::Error::other)?;
        Ok(demo)
    }

    fn config_toml(&self, options: DemoOptions) -> String {
        format!(
            r#"# A throw-away profile made by `orosync demo`: both servers are local
# fakes with sample data, alive while the demo runs. No secret is kept here.

[oro]
url = "{oro}"
username = "{user}"
auth = "wsse"

[outlook]
client_id = "{client}"
graph_url = "{graph}"
login_url = "{login}"

[sync]
mode = "{mode}"
direction = "bidirectional"
conflict_resolution = "{conflicts}"
kinds = ["contacts", "tasks", "events"]
# The fakes store dates in UTC; so does the demo, wherever it runs.
time_zone = "UTC"
"#,
            oro = self.oro_url,
            user = self.oro.options().username,
            client = DEMO_CLIENT_ID,
            graph = self.graph_url,
            login = self.login_url,
            mode = options.mode.as_str(),
            conflicts = options.conflict_resolution.as_str(),
        )
    }

    /// Put the sample on both sides.
    fn fill(&mut self) {
        let today = chrono::Utc::now().date_naive();
        for (kind, s) in [
            (Kind::Contacts, sample::contacts()),
            (Kind::Tasks, sample::tasks(today)),
            (Kind::Events, sample::events(today)),
        ] {
            let mut ids = OroIds::default();
            for it in &s.oro_only {
                ids.oro_only.push(seed::in_oro(&self.oro, it));
            }
            for it in &s.outlook_only {
                seed::in_outlook(&self.graph, it);
            }
            for it in &s.both {
                ids.both.push(seed::in_oro(&self.oro, it));
                seed::in_outlook(&self.graph, it);
            }
            self.ids.insert(kind, ids);
        }
    }

    /// The demo's secrets (for [`App::open_with`]).
    pub fn secrets(&self) -> Arc<dyn SecretStore> {
        Arc::new(self.secrets.clone())
    }

    /// The profile opened with the demo's secrets.
    pub fn app(&self) -> Result<App, AppError> {
        App::open_with(&self.profile_dir, self.secrets())
    }

    /// Make the secrets reachable by a later `orosync --profile DIR sync`:
    /// the OS keyring when it works (checked by reading the value back),
    /// else `export` lines for the user's shell. The refresh token handed
    /// over stays valid after the demo's own syncs used it, as at Microsoft.
    pub fn hand_off_secrets(&self) -> SecretsHandOff {
        let keyring = KeyringStore::new(self.profile_dir.display().to_string());
        match self.copy_secrets_to(&keyring) {
            Ok(()) => SecretsHandOff::Keyring,
            Err(e) => {
                tracing::info!("no usable keyring for the demo's secrets: {e}");
                SecretsHandOff::Environment(self.env_exports())
            }
        }
    }

    /// Copy the demo's secrets into `store` and read them back.
    pub fn copy_secrets_to(&self, store: &dyn SecretStore) -> Result<(), SecretError> {
        for (name, _) in ENV_VARS {
            if let Some(v) = self.secrets.get(name)? {
                store.set(name, &v)?;
                if store.get(name)?.as_ref() != Some(&v) {
                    return Err(SecretError(format!("{name} did not read back")));
                }
            }
        }
        Ok(())
    }

    /// `export OROSYNC_...='...'` lines for a POSIX shell, one per secret.
    pub fn env_exports(&self) -> Vec<String> {
        ENV_VARS
            .iter()
            .filter_map(|(name, var)| {
                let v = self.secrets.get(name).ok().flatten()?;
                // The fakes' secrets are letters, digits, '-' and '_': no
                // quoting trouble, but quote anyway for copy and paste.
                Some(format!("export {var}='{}'", v.expose()))
            })
            .collect()
    }

    /// One sync of the demo profile with `--yes` semantics.
    pub async fn sync(&self) -> Result<Summary, AppError> {
        let app = self.app()?;
        let req = SyncRequest {
            confirmed: true,
            ..SyncRequest::default()
        };
        app.sync(&req, || {}).await
    }

    /// The first sync, the user's edits, the second sync.
    pub async fn run(&self) -> Result<DemoReport, AppError> {
        let first = self.sync().await?;
        let edits = self.edit_as_a_user();
        let second = self.sync().await?;
        Ok(DemoReport {
            first,
            edits,
            second,
        })
    }

    /// The Outlook item linked to an Oro record (the link as the sync
    /// writes it: a task's linkedResource, an extended property otherwise).
    fn outlook_id(&self, kind: Kind, oro_id: &str) -> Option<String> {
        use crate::graph::mapping::{ext_prop, task_link, LINK_PROP};
        self.graph
            .all(kind)
            .into_iter()
            .find(|v| match kind {
                Kind::Tasks => task_link(v).as_deref() == Some(oro_id),
                _ => ext_prop(v, LINK_PROP) == Some(oro_id),
            })
            .and_then(|v| {
                v.get("id")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_string)
            })
    }

    fn name_of(&self, oro_id: &str) -> String {
        self.oro
            .record(Kind::Contacts, oro_id)
            .map(|r| {
                format!(
                    "{} {}",
                    r.attr_str("firstName").unwrap_or(""),
                    r.attr_str("lastName").unwrap_or("")
                )
            })
            .unwrap_or_default()
    }

    /// Edits a user would make between two syncs, on both sides: one
    /// contact on both sides (a conflict), one deletion in Oro, a few
    /// edits, and a new contact in Outlook. Call after a first sync (the
    /// Outlook side is found by its link). Returns them in plain words.
    pub fn edit_as_a_user(&self) -> Vec<String> {
        let mut done = vec![];
        let contacts = &self.ids[&Kind::Contacts];
        let tasks = &self.ids[&Kind::Tasks];
        let events = &self.ids[&Kind::Events];

        // A pair edited on both sides: the conflict.
        let c = &contacts.both[0];
        let who = self.name_of(c);
        self.oro.user_edit(Kind::Contacts, c, |r| {
            r.attributes
                .insert("jobTitle".into(), json!("Chief Financial Officer"));
        });
        if let Some(x) = self.outlook_id(Kind::Contacts, c) {
            self.graph
                .user_edit(&x, |v| v["jobTitle"] = json!("Finance Director"));
        }
        done.push(format!(
            "{who}: job title set to \"Chief Financial Officer\" in Oro and to \"Finance Director\" in Outlook (a conflict)"
        ));

        // A deletion in Oro.
        let d = &contacts.oro_only[1];
        let gone = self.name_of(d);
        self.oro.user_delete(Kind::Contacts, d);
        done.push(format!("{gone}: deleted in Oro"));

        // An edit in Outlook.
        let p = &contacts.oro_only[2];
        let who = self.name_of(p);
        if let Some(x) = self.outlook_id(Kind::Contacts, p) {
            self.graph
                .user_edit(&x, |v| v["businessPhones"] = json!(["+1 555 7788"]));
        }
        done.push(format!("{who}: phone changed to +1 555 7788 in Outlook"));

        // An edit in Oro: a task closed.
        let t = &tasks.oro_only[0];
        let subject = self
            .oro
            .record(Kind::Tasks, t)
            .and_then(|r| r.attr_str("subject").map(String::from))
            .unwrap_or_default();
        self.oro.user_edit(Kind::Tasks, t, |r| {
            r.relationships.insert(
                "status".into(),
                Some(("taskstatuses".into(), "closed".into())),
            );
        });
        done.push(format!("task \"{subject}\": marked closed in Oro"));

        // An edit in Outlook: an event's notes.
        let e = &events.both[0];
        let title = self
            .oro
            .record(Kind::Events, e)
            .and_then(|r| r.attr_str("title").map(String::from))
            .unwrap_or_default();
        if let Some(x) = self.outlook_id(Kind::Events, e) {
            self.graph.user_edit(&x, |v| {
                v["body"] =
                    json!({"contentType": "text", "content": "Moved to the big meeting room."});
            });
        }
        done.push(format!(
            "event \"{title}\": notes changed in Outlook to \"Moved to the big meeting room.\""
        ));

        // A new contact in Outlook.
        let new = crate::model::Contact {
            first_name: Some("Beatriz".into()),
            last_name: Some("Almeida".into()),
            gender: Some(crate::model::Gender::Female),
            job_title: Some("Buyer".into()),
            emails: vec!["beatriz.almeida@contoso.example".into()],
            ..Default::default()
        };
        seed::in_outlook(&self.graph, &Item::Contacts(new));
        done.push("Beatriz Almeida: new contact added in Outlook".into());
        done
    }
}

impl DemoReport {
    /// What the demo did, in plain words.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        out.push_str("First sync (both ways; Oro and Outlook started with different records):\n");
        describe_run(&mut out, &self.first);
        out.push_str("\nThen, as a user would:\n");
        for e in &self.edits {
            let _ = writeln!(out, "  - {e}");
        }
        out.push_str("\nSecond sync:\n");
        describe_run(&mut out, &self.second);
        out
    }
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

fn describe_run(out: &mut String, s: &Summary) {
    for (kind, k) in &s.kinds {
        let one = match kind {
            Kind::Contacts => "contact",
            Kind::Tasks => "task",
            Kind::Events => "event",
        };
        let mut parts = vec![];
        let side = |parts: &mut Vec<String>, name: &str, c: &crate::summary::Counts| {
            if c.created > 0 {
                parts.push(format!("{} created in {name}", plural(c.created, one)));
            }
            if c.updated > 0 {
                parts.push(format!("{} updated in {name}", plural(c.updated, one)));
            }
            if c.deleted > 0 {
                parts.push(format!("{} deleted in {name}", plural(c.deleted, one)));
            }
        };
        side(&mut parts, "Outlook", &k.outlook);
        side(&mut parts, "Oro", &k.oro);
        if parts.is_empty() {
            parts.push("nothing to do".into());
        }
        let _ = write!(out, "  {kind}: {}", parts.join(", "));
        out.push('\n');
    }
    if s.kinds
        .values()
        .any(|k| k.first_sync && k.outlook.updated > 0)
    {
        // On a first sync, Outlook updates are links being stamped: on
        // items just copied to Oro, and on pairs found by key.
        out.push_str(
            "  (On a first sync, \"updated in Outlook\" means the item now carries its Oro id: the items \
             copied to Oro, and those found on both sides by their key, which were linked, not duplicated.)\n",
        );
    }
    for c in &s.conflicts {
        let winner = match serde_json::to_value(c.winner)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
        {
            Some(w) if w == "oro" => "Oro's version was kept".to_string(),
            Some(w) if w == "outlook" => "Outlook's version was kept".to_string(),
            _ => "it waits for your choice (`orosync conflicts`)".to_string(),
        };
        let _ = writeln!(
            out,
            "  conflict: {} Oro {} was changed on both sides; by the setting \"{}\", {winner}",
            c.kind, c.oro_id, c.setting
        );
    }
    for e in &s.errors {
        let _ = writeln!(
            out,
            "  failed: {} {} {}: {}",
            e.kind, e.side, e.id, e.message
        );
    }
    if let Some(f) = &s.fatal {
        let _ = writeln!(out, "  stopped: {f}");
    }
}
