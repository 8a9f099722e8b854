//! A loopback port that refuses connections for as long as the test holds
//! it. Two shortcuts race: assuming a well-known port (`127.0.0.1:9`) is
//! closed depends on the machine, and binding port 0 then dropping the
//! listener frees the port for any other process (or a parallel test) to
//! take before the test connects. A socket bound but never listening keeps
//! the port to itself, and the kernel answers a connection to it with a
//! reset: "connection refused", every time.

use socket2::{Domain, Socket, Type};
use std::io::ErrorKind;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

/// A port on 127.0.0.1 (and on ::1 where the machine has IPv6, since
/// `localhost` may resolve to either) that refuses every connection while
/// this lives.
#[derive(Debug)]
pub struct ClosedPort {
    // Held, bound, and never `listen`ed on; dropping them frees the port.
    _sockets: Vec<Socket>,
    port: u16,
}

fn bound(addr: SocketAddr) -> std::io::Result<Socket> {
    let domain = if addr.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let socket = Socket::new(domain, Type::STREAM, None)?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.bind(&addr.into())?;
    Ok(socket)
}

impl ClosedPort {
    /// Take a free port and hold it closed.
    pub fn new() -> ClosedPort {
        // A port free on 127.0.0.1 may be taken on ::1; then take another.
        for _ in 0..100 {
            let v4 = bound((Ipv4Addr::LOCALHOST, 0).into()).expect("bind 127.0.0.1:0");
            let port = v4
                .local_addr()
                .expect("bound address")
                .as_socket()
                .expect("an inet address")
                .port();
            match bound((Ipv6Addr::LOCALHOST, port).into()) {
                Ok(v6) => {
                    return ClosedPort {
                        _sockets: vec![v4, v6],
                        port,
                    }
                }
                Err(e) if e.kind() == ErrorKind::AddrInUse => continue,
                // No IPv6 here: `localhost` is 127.0.0.1 only.
                Err(_) => {
                    return ClosedPort {
                        _sockets: vec![v4],
                        port,
                    }
                }
            }
        }
        panic!("no port free on both 127.0.0.1 and ::1 in 100 tries");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Default for ClosedPort {
    fn default() -> Self {
        ClosedPort::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_closed_port_refuses_connections_and_stays_taken() {
        let closed = ClosedPort::new();
        let e = std::net::TcpStream::connect(("127.0.0.1", closed.port())).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
        if let Ok(addrs) = std::net::ToSocketAddrs::to_socket_addrs(&("localhost", closed.port())) {
            for a in addrs {
                let e = std::net::TcpStream::connect(a).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{a}: {e}");
            }
        }
        // Nobody else can listen there while it is held.
        assert!(std::net::TcpListener::bind(("127.0.0.1", closed.port())).is_err());
    }
}
