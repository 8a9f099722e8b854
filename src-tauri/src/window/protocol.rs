//! What the tray and a settings window in its own process say to each
//! other: one JSON object per line. The window writes to its stdout, each
//! line behind [`PREFIX`] so anything else a library prints there is told
//! apart and ignored; the tray writes to the window's stdin, which is the
//! protocol's alone.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::future::Future;

/// A command's answer: its value, or its error as the page sees it (the
/// error's text, as `invoke` rejects with in-process).
pub type Reply = Result<Value, Value>;

/// Who answers a window's calls: the app handle, through the one list of
/// commands at the top of the crate (`dispatch`). A trait, so the host
/// runs the calls without importing the commands, which use the window
/// (docs/tray-shell.md).
pub trait AnswerCalls {
    /// Run command `cmd` with `args` (the page's argument object).
    fn answer_call(&self, cmd: &str, args: &Value) -> impl Future<Output = Reply> + Send;
}

/// The start of each of the window's protocol lines on its stdout.
pub const PREFIX: &str = "orosync-window ";

/// The window to the tray.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToTray {
    /// The page invoked command `cmd` with `args`; answer with the same id.
    Call { id: u64, cmd: String, args: Value },
}

/// The tray to the window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToWindow {
    /// The answer to call `id`: the command's value, or its error.
    Reply { id: u64, result: Reply },
    /// An event for the page (`status`, `outlook-sign-in`, …).
    Event { name: String, payload: Value },
    /// Bring the window to the front, on `tab` if given.
    Show { tab: Option<String> },
    /// A new window title (the first-run setup became the settings).
    Title { title: String },
    /// Close the window; the window's process ends with it.
    Close,
}

/// What the window is to show, given to it on its command line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowSpec {
    /// `index.html`, `index.html#TAB` or `setup.html`.
    pub page: String,
    pub title: String,
    /// The page zoom (`--zoom`), if not 100%.
    pub zoom: Option<f64>,
}

impl ToTray {
    /// The line the window writes (with its newline).
    pub fn line(&self) -> String {
        format!("{PREFIX}{}\n", to_json(self))
    }

    /// A line of the window's stdout: `None` when it is not the
    /// protocol's; an error when it is, but malformed.
    pub fn parse(line: &str) -> Option<Result<ToTray, String>> {
        let body = line.strip_prefix(PREFIX)?;
        Some(serde_json::from_str(body).map_err(|e| malformed(&e)))
    }
}

impl ToWindow {
    /// The line the tray writes (with its newline).
    pub fn line(&self) -> String {
        format!("{}\n", to_json(self))
    }

    pub fn parse(line: &str) -> Result<ToWindow, String> {
        serde_json::from_str(line).map_err(|e| malformed(&e))
    }
}

/// Why a line was not understood, without its text: a call can carry what
/// the user typed (an Oro secret in the first-run setup), and this goes to
/// the log.
fn malformed(e: &serde_json::Error) -> String {
    format!(
        "not a protocol message ({:?} error at column {})",
        e.classify(),
        e.column()
    )
}

fn to_json<T: Serialize>(v: &T) -> String {
    // These types hold only strings, numbers and JSON values: they always
    // serialize.
    serde_json::to_string(v).expect("protocol messages serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_message_reads_back_as_written_one_line_each() {
        let calls = [ToTray::Call {
            id: 7,
            cmd: "save_settings".into(),
            args: json!({"settings": {"oro_url": "https://crm.example.com/\nx"}}),
        }];
        for c in calls {
            let line = c.line();
            assert_eq!(line.matches('\n').count(), 1, "{line}");
            assert_eq!(ToTray::parse(line.trim_end()), Some(Ok(c)));
        }
        let to_window = [
            ToWindow::Reply {
                id: 7,
                result: Ok(json!({"saved": true})),
            },
            ToWindow::Reply {
                id: 8,
                result: Err(json!("state database: locked")),
            },
            ToWindow::Event {
                name: "status".into(),
                payload: json!({"line": "Synced"}),
            },
            ToWindow::Show {
                tab: Some("about".into()),
            },
            ToWindow::Show { tab: None },
            ToWindow::Title {
                title: "OroSync settings".into(),
            },
            ToWindow::Close,
        ];
        for m in to_window {
            let line = m.line();
            assert_eq!(line.matches('\n').count(), 1, "{line}");
            assert_eq!(ToWindow::parse(line.trim_end()), Ok(m));
        }
    }

    #[test]
    fn a_malformed_line_is_refused_without_repeating_its_text() {
        let line = r#"orosync-window {"call":{"id":"s3cr3t-value","cmd":"x","args":{}}}"#;
        let e = ToTray::parse(line).unwrap().unwrap_err();
        assert!(!e.contains("s3cr3t"), "{e}");
        let e = ToWindow::parse(r#"{"reply":{"id":1,"result":"s3cr3t-value"}}"#).unwrap_err();
        assert!(!e.contains("s3cr3t") && e.contains("column"), "{e}");
    }

    #[test]
    fn other_output_on_the_windows_stdout_is_not_the_protocols() {
        assert_eq!(ToTray::parse("** (WebKitWebProcess): warning"), None);
        assert!(matches!(
            ToTray::parse("orosync-window {\"call\": 3}"),
            Some(Err(_))
        ));
    }
}
