//! "Offline" (docs/sync-rules.md, "Sync type and limits"): the configured servers cannot be
//! reached. A cheap check — a TCP connection to each configured host, no
//! request, no sign-in — that never probes any other host.

use crate::config::Config;
use std::time::Duration;

/// How long one connection attempt may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// `host:port` of each server the configuration talks to, deduplicated.
pub fn endpoints(cfg: &Config) -> Vec<String> {
    let mut out: Vec<String> = [&cfg.oro.url, &cfg.outlook.graph_url, &cfg.outlook.login_url]
        .into_iter()
        .filter_map(|u| url::Url::parse(u).ok())
        .filter_map(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `Ok` when every configured server accepts a connection; otherwise the
/// first that does not, in words.
pub async fn check(cfg: &Config) -> Result<(), String> {
    for ep in endpoints(cfg) {
        match tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect(&ep)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(format!("{ep} cannot be reached: {e}")),
            Err(_) => return Err(format!("{ep} did not answer within {PROBE_TIMEOUT:?}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_the_configured_hosts_only() {
        let mut c = Config::new("https://crm.example.com/", "jane", "app");
        c.outlook.graph_url = "http://127.0.0.1:8080/v1.0".into();
        assert_eq!(
            endpoints(&c),
            [
                "127.0.0.1:8080",
                "crm.example.com:443",
                "login.microsoftonline.com:443"
            ]
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_offline_and_an_open_one_is_not() {
        let open = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", open.local_addr().unwrap());
        let mut c = Config::new(&url, "jane", "app");
        c.outlook.graph_url = url.clone();
        c.outlook.login_url = url.clone();
        assert_eq!(check(&c).await, Ok(()));
        drop(open);
        let err = check(&c).await.unwrap_err();
        assert!(err.contains("cannot be reached"), "{err}");
    }
}
