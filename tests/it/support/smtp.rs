//! A real SMTP peer on 127.0.0.1:0 for tests: enough ESMTP for lettre's SMTP
//! transport (220 greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT),
//! in plain text, with STARTTLS, or inside TLS from the first byte (rustls
//! with a certificate of the test's own CA). It keeps every message it
//! accepts and can be told to refuse a recipient with a given reply, as a
//! real server would.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chiso::mail::{Security, SmtpSettings};

/// One accepted message: the envelope and the DATA as sent, dot-unstuffed.
#[derive(Debug, Clone)]
pub struct Received {
    /// Whether the message came over TLS.
    pub tls: bool,
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: Vec<u8>,
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    arrived: Condvar,
    /// Lower-cased recipient → (code, text) answered to its RCPT.
    refusals: Mutex<HashMap<String, (u16, String)>>,
    /// Every command line, in order, across connections.
    commands: Mutex<Vec<String>>,
}

pub struct SmtpPeer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

/// Idle connections are dropped after this, so no thread outlives a test
/// run by much (lettre's pool re-connects when it finds one closed).
const IDLE: Duration = Duration::from_secs(20);

/// How the peer speaks: plain, or TLS by STARTTLS or from the first byte.
#[derive(Clone)]
pub enum PeerTls {
    Plain,
    StartTls(Arc<rustls::ServerConfig>),
    Wrapper(Arc<rustls::ServerConfig>),
}

/// A CA of the test's own and a certificate it signed for 127.0.0.1: the
/// server's config, and the CA certificate as PEM for the client to trust.
pub fn test_ca() -> (Arc<rustls::ServerConfig>, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "CA thử nghiệm chiso");
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone(), ca.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    (Arc::new(config), ca.pem())
}

impl SmtpPeer {
    pub fn start() -> Self {
        Self::start_with(PeerTls::Plain)
    }

    pub fn start_with(tls: PeerTls) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind SMTP peer");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (shared, stop) = (shared.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (shared, tls) = (shared.clone(), tls.clone());
                    std::thread::spawn(move || {
                        let _ = session(stream, &shared, &tls);
                    });
                }
            })
        };
        Self {
            addr,
            shared,
            stop,
            acceptor: Some(acceptor),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `[mail.smtp]` pointing at this peer: plain text, short timeout.
    pub fn settings(&self) -> SmtpSettings {
        SmtpSettings {
            host: "127.0.0.1".into(),
            port: Some(self.port()),
            security: Security::None,
            timeout_seconds: 5,
            hello_name: Some("chiso.test".into()),
            ..SmtpSettings::default()
        }
    }

    /// Answers `RCPT TO:<address>` with `code text` from now on.
    pub fn refuse_rcpt(&self, address: &str, code: u16, text: &str) {
        self.shared
            .refusals
            .lock()
            .unwrap()
            .insert(address.to_ascii_lowercase(), (code, text.to_string()));
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits until `n` messages arrived (for senders that return before the
    /// server has answered) or panics after `timeout`.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        let mut got = self.shared.received.lock().unwrap();
        while got.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "{} of {n} messages arrived", got.len());
            got = self.shared.arrived.wait_timeout(got, left).unwrap().0;
        }
        got.clone()
    }

    pub fn commands(&self) -> Vec<String> {
        self.shared.commands.lock().unwrap().clone()
    }
}

impl Drop for SmtpPeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
    }
}

/// The part of `<addr> PARAM=…` between the angle brackets.
fn path(arg: &str) -> Option<String> {
    let start = arg.find('<')?;
    let end = start + arg[start..].find('>')?;
    Some(arg[start + 1..end].to_string())
}

fn session(stream: TcpStream, shared: &Shared, tls: &PeerTls) -> std::io::Result<()> {
    stream.set_read_timeout(Some(IDLE))?;
    let secure = |config: &Arc<rustls::ServerConfig>, plain: TcpStream| {
        rustls::ServerConnection::new(config.clone())
            .map(|c| rustls::StreamOwned::new(c, plain))
            .map_err(std::io::Error::other)
    };
    match tls {
        PeerTls::Plain => {
            dialogue(stream, shared, Mode::Plain)?;
        }
        PeerTls::Wrapper(config) => {
            dialogue(secure(config, stream)?, shared, Mode::Tls)?;
        }
        PeerTls::StartTls(config) => {
            if let Some(plain) = dialogue(stream, shared, Mode::OfferStartTls)? {
                dialogue(secure(config, plain)?, shared, Mode::AfterStartTls)?;
            }
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Plain,
    OfferStartTls,
    /// Inside TLS after STARTTLS: no second greeting, the client says EHLO again.
    AfterStartTls,
    Tls,
}

/// One SMTP conversation; returns the stream when the client asked for STARTTLS.
fn dialogue<S: Read + Write>(stream: S, shared: &Shared, mode: Mode) -> std::io::Result<Option<S>> {
    let mut input = BufReader::new(stream);
    let reply = |input: &mut BufReader<S>, text: &str| {
        let out = input.get_mut();
        out.write_all(format!("{text}\r\n").as_bytes())?;
        out.flush()
    };
    if mode != Mode::AfterStartTls {
        reply(&mut input, "220 peer.test ESMTP ready")?;
    }
    let over_tls = matches!(mode, Mode::AfterStartTls | Mode::Tls);
    let mut greeted = false;
    let mut from: Option<String> = None;
    let mut rcpts: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        shared.commands.lock().unwrap().push(text.clone());
        let (verb, arg) = text.split_once(' ').unwrap_or((&text, ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                greeted = true;
                reply(&mut input, &format!("250-peer.test greets {arg}"))?;
                if mode == Mode::OfferStartTls {
                    reply(&mut input, "250-STARTTLS")?;
                }
                reply(&mut input, "250-8BITMIME")?;
                reply(&mut input, "250 SIZE 10485760")?;
            }
            "HELO" => {
                greeted = true;
                reply(&mut input, "250 peer.test")?;
            }
            "STARTTLS" if mode == Mode::OfferStartTls => {
                reply(&mut input, "220 2.0.0 Ready to start TLS")?;
                return Ok(Some(input.into_inner()));
            }
            "MAIL" if !greeted => reply(&mut input, "503 5.5.1 Say EHLO first")?,
            "MAIL" => match path(arg) {
                Some(a) if arg.to_ascii_uppercase().starts_with("FROM:") => {
                    from = Some(a);
                    rcpts.clear();
                    reply(&mut input, "250 2.1.0 Ok")?;
                }
                _ => reply(&mut input, "501 5.5.4 Syntax: MAIL FROM:<address>")?,
            },
            "RCPT" if from.is_none() => reply(&mut input, "503 5.5.1 Need MAIL first")?,
            "RCPT" => match path(arg) {
                Some(a) if arg.to_ascii_uppercase().starts_with("TO:") => {
                    let refusal = shared
                        .refusals
                        .lock()
                        .unwrap()
                        .get(&a.to_ascii_lowercase())
                        .cloned();
                    match refusal {
                        Some((code, why)) => reply(&mut input, &format!("{code} {why}"))?,
                        None => {
                            rcpts.push(a);
                            reply(&mut input, "250 2.1.5 Ok")?;
                        }
                    }
                }
                _ => reply(&mut input, "501 5.5.4 Syntax: RCPT TO:<address>")?,
            },
            "DATA" if rcpts.is_empty() => reply(&mut input, "503 5.5.1 No valid recipients")?,
            "DATA" => {
                reply(&mut input, "354 End data with <CR><LF>.<CR><LF>")?;
                let mut data = Vec::new();
                loop {
                    line.clear();
                    if input.read_until(b'\n', &mut line)? == 0 {
                        return Ok(None);
                    }
                    if line == b".\r\n" || line == b".\n" {
                        break;
                    }
                    let body = if line.starts_with(b"..") {
                        &line[1..]
                    } else {
                        &line[..]
                    };
                    data.extend_from_slice(body);
                }
                let n = {
                    let mut got = shared.received.lock().unwrap();
                    got.push(Received {
                        tls: over_tls,
                        mail_from: from.take().unwrap_or_default(),
                        rcpt_to: std::mem::take(&mut rcpts),
                        data,
                    });
                    shared.arrived.notify_all();
                    got.len()
                };
                reply(&mut input, &format!("250 2.0.0 Ok: queued as PEER{n}"))?;
            }
            "RSET" => {
                from = None;
                rcpts.clear();
                reply(&mut input, "250 2.0.0 Ok")?;
            }
            "NOOP" => reply(&mut input, "250 2.0.0 Ok")?,
            "QUIT" => {
                reply(&mut input, "221 2.0.0 Bye")?;
                return Ok(None);
            }
            _ => reply(&mut input, "502 5.5.2 Command not recognized")?,
        }
    }
}
