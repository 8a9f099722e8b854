//! A fake `org.freedesktop.Notifications` server on the session bus,
//! recording what it is sent (the Desktop Notifications Specification's
//! `Notify`, `GetCapabilities`, `GetServerInformation`,
//! `CloseNotification`). Needs a private session bus: scripts/e2e.sh runs
//! the tests inside `dbus-run-session`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct FakeServer {
    /// (summary, body) of each notification, in order.
    pub seen: Arc<Mutex<Vec<(String, String)>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl FakeServer {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: &str,
        _replaces_id: u32,
        _app_icon: &str,
        summary: &str,
        body: &str,
        _actions: Vec<&str>,
        _hints: HashMap<&str, zbus::zvariant::Value<'_>>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut seen = self.seen.lock().unwrap();
        seen.push((summary.to_string(), body.to_string()));
        seen.len() as u32
    }
    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into(), "actions".into()]
    }
    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "fake".into(),
            "orosync-tests".into(),
            "1".into(),
            "1.2".into(),
        )
    }
    fn close_notification(&self, _id: u32) {}
}

/// Serve `server` as the session's notification server, for as long as
/// the connection is kept.
pub async fn serve(server: FakeServer) -> zbus::Connection {
    zbus::connection::Builder::session()
        .unwrap()
        .name("org.freedesktop.Notifications")
        .unwrap()
        .serve_at("/org/freedesktop/Notifications", server)
        .unwrap()
        .build()
        .await
        .expect("the fake notification server owns its name on the session bus")
}
