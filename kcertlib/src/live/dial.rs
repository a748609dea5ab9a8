//! Dialling one loopback port with a bounded time and reading the certificate it serves.
//!
//! The address is always built here from a loopback IP and a port: nothing from the tree or a
//! kubeconfig chooses where we connect. 127.0.0.1 is tried first, then ::1 when IPv4 is
//! refused (a component bound to `::1` only). The whole exchange (connect, handshake) shares
//! one deadline; a server that asks for a client certificate (etcd with client-cert-auth,
//! kubelet) has already sent its own before it refuses us, so a handshake that fails after the
//! server's Certificate message still yields the chain.

use std::io::ErrorKind as IoKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};

use super::recorder::ChainRecorder;

/// What dialling a port gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Dialled {
    /// The server presented this chain (DER, leaf first) at `address`; `handshake_error` is
    /// set when the handshake failed after that (typically: a client certificate required).
    Served {
        address: SocketAddr,
        chain: Vec<Vec<u8>>,
        handshake_error: Option<String>,
    },
    /// Nothing listens (refused) or nothing answered the connect in time.
    NotRunning { address: SocketAddr, reason: String },
    /// Something accepted the connection but no certificate came back in time (not TLS, a
    /// stalled server, a protocol error).
    NoCertificate { address: SocketAddr, reason: String },
}

/// Dials `port` on loopback and reads the served certificate chain within `timeout`.
pub(crate) fn dial(port: u16, timeout: Duration) -> Dialled {
    let deadline = Instant::now() + timeout;
    let v4 = loopback(port);
    match connect(v4, deadline) {
        Ok(stream) => handshake(stream, v4, deadline),
        Err(e) if e.kind() == IoKind::ConnectionRefused => {
            let v6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port);
            match connect(v6, deadline) {
                Ok(stream) => handshake(stream, v6, deadline),
                // ::1 unavailable (no IPv6) or refused too: report the IPv4 refusal.
                Err(_) => Dialled::NotRunning {
                    address: v4,
                    reason: format!("connection refused on {v4} and {v6}"),
                },
            }
        }
        Err(e) => Dialled::NotRunning {
            address: v4,
            reason: format!("no connection to {v4}: {}", describe_io(&e)),
        },
    }
}

/// `127.0.0.1:port`, the address a report names before anything answered.
pub(crate) fn loopback(port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
}

fn connect(address: SocketAddr, deadline: Instant) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&address, remaining(deadline)?)?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

fn handshake(mut stream: TcpStream, address: SocketAddr, deadline: Instant) -> Dialled {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let recorder = ChainRecorder::new(provider.signature_verification_algorithms);
    let config =
        match ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions() {
            Ok(builder) => builder
                .dangerous()
                .with_custom_certificate_verifier(recorder.clone())
                .with_no_client_auth(),
            Err(e) => {
                return Dialled::NoCertificate {
                    address,
                    reason: format!("TLS client setup failed: {e}"),
                };
            }
        };
    // No SNI is sent for an IP address: the server presents its default certificate, the one
    // its certificate files configure.
    let name = ServerName::IpAddress(address.ip().into());
    let mut conn = match ClientConnection::new(Arc::new(config), name) {
        Ok(conn) => conn,
        Err(e) => {
            return Dialled::NoCertificate {
                address,
                reason: format!("TLS client setup failed: {e}"),
            };
        }
    };
    let mut failure = None;
    while conn.is_handshaking() {
        let step = remaining(deadline)
            .and_then(|left| {
                stream.set_read_timeout(Some(left))?;
                stream.set_write_timeout(Some(left))
            })
            .and_then(|()| conn.complete_io(&mut stream));
        match step {
            Ok((0, 0)) => {
                failure = Some("the server closed the connection during the handshake".into());
                break;
            }
            Ok(_) => {}
            Err(e) => {
                failure = Some(describe_io(&e));
                break;
            }
        }
    }
    if failure.is_none() {
        // Polite close; the result does not matter.
        conn.send_close_notify();
        let _ = conn.write_tls(&mut stream);
    }
    match recorder.chain() {
        Some(chain) if !chain.is_empty() => Dialled::Served {
            address,
            chain,
            handshake_error: failure,
        },
        _ => Dialled::NoCertificate {
            address,
            reason: failure.unwrap_or_else(|| "the server sent no certificate".into()),
        },
    }
}

/// Time left before `deadline`, or a `TimedOut` error once it has passed.
fn remaining(deadline: Instant) -> std::io::Result<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|left| !left.is_zero())
        .ok_or_else(|| std::io::Error::new(IoKind::TimedOut, "timed out"))
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        IoKind::TimedOut | IoKind::WouldBlock => "timed out".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn a_closed_port_is_not_running() {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        match dial(port, Duration::from_secs(2)) {
            Dialled::NotRunning { address, .. } => {
                assert_eq!(address.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
            }
            other => panic!("expected not running, got {other:?}"),
        }
    }

    #[test]
    fn a_silent_listener_times_out_without_a_certificate() {
        // Accepted by the kernel's backlog, never answered: the deadline ends the wait.
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        match dial(port, Duration::from_millis(300)) {
            Dialled::NoCertificate { reason, .. } => {
                assert!(reason.contains("timed out"), "{reason}")
            }
            other => panic!("expected no certificate, got {other:?}"),
        }
    }

    #[test]
    fn a_plain_text_server_yields_no_certificate() {
        use std::io::Write;
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let _ = s.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\n");
            }
        });
        let got = dial(port, Duration::from_secs(5));
        let _ = server.join();
        assert!(matches!(got, Dialled::NoCertificate { .. }), "{got:?}");
    }
}
