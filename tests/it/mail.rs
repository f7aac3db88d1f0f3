//! The mail layer against a real SMTP peer on loopback: lettre's own SMTP
//! transport, no mock. Messages are read back with a MIME parser.

use std::time::Duration;

use crate::support::mail::{count_link, survey_link, Mail};
use crate::support::smtp::{test_ca, PeerTls, SmtpPeer};
use chiso::domain::email::Email;
use chiso::mail::{
    render, FileOutbox, Invitation, MailError, MailSettings, Mailer, Memory, Message, Security,
    Template, Transport, TransportKind,
};
use chrono::NaiveDate;

const SURVEY: &str = "http://127.0.0.1:8080/s/Tk7pQ2xZ9wLm";
const OPT_OUT: &str = "http://127.0.0.1:8080/s/Tk7pQ2xZ9wLm/tu-choi";
const NAME: &str = "Nguyễn Văn <An> & \"Bình\"";
const ORG: &str = "Sở Nội vụ tỉnh Quảng Ninh";

fn settings() -> MailSettings {
    MailSettings {
        from: "khaosat@snv.quangninh.gov.vn".into(),
        reply_to: Some("Phòng CCHC <cchc@snv.quangninh.gov.vn>".into()),
        organization: ORG.into(),
        ..MailSettings::default()
    }
}

fn smtp_mailer(peer: &SmtpPeer) -> Mailer {
    let s = MailSettings {
        transport: TransportKind::Smtp,
        smtp: peer.settings(),
        ..settings()
    };
    Mailer::from_settings(&s, std::path::Path::new("unused")).expect("SMTP mailer")
}

fn invitation(survey_url: &str) -> Invitation {
    Invitation {
        name: Some(NAME.into()),
        organization: ORG.into(),
        campaign: "Khảo sát Chỉ số CCHC năm 2025".into(),
        unit: Some("Sở Tài chính".into()),
        survey_url: survey_url.into(),
        opt_out_url: OPT_OUT.into(),
        closes_on: NaiveDate::from_ymd_opt(2025, 11, 30).unwrap(),
        anonymous: false,
    }
}

fn message(to: &str, template: Template) -> Message {
    let ctx = invitation(SURVEY);
    Message::new(Email::parse(to).unwrap(), render(template, &ctx).unwrap())
        .with_name("Nguyễn Văn An")
        .with_unsubscribe(OPT_OUT)
}

#[test]
fn an_invitation_over_smtp_arrives_whole_and_decodes() {
    let peer = SmtpPeer::start();
    let mailer = smtp_mailer(&peer);
    let sent = mailer
        .send(&message("an.nguyen@example.vn", Template::Invitation))
        .expect("sent");
    assert!(sent.receipt.starts_with("250 "), "{}", sent.receipt);
    assert!(sent.receipt.contains("queued as PEER1"), "{}", sent.receipt);

    let got = peer.received();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.mail_from, "khaosat@snv.quangninh.gov.vn");
    assert_eq!(r.rcpt_to, vec!["an.nguyen@example.vn".to_string()]);
    assert!(peer.commands().iter().any(|c| c == "EHLO chiso.test"));
    // Vietnamese travels as encoded words and a transfer encoding, not 8-bit.
    assert!(r.data.is_ascii(), "the message on the wire is 7-bit");
    let raw = String::from_utf8_lossy(&r.data);
    let subject_line = raw
        .lines()
        .find(|l| l.starts_with("Subject:"))
        .expect("a Subject header");
    assert!(
        subject_line.to_ascii_lowercase().contains("=?utf-8?"),
        "{subject_line}"
    );

    let m = Mail::parse(&r.data);
    assert_eq!(
        m.subject,
        "Thư mời tham gia Khảo sát Chỉ số CCHC năm 2025 – Sở Tài chính"
    );
    assert_eq!(m.from_name.as_deref(), Some(ORG));
    assert_eq!(m.from_address, "khaosat@snv.quangninh.gov.vn");
    assert_eq!(m.to_name.as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(m.to_address, "an.nguyen@example.vn");
    assert_eq!(m.reply_to.as_deref(), Some("cchc@snv.quangninh.gov.vn"));
    assert_eq!(
        m.message_id.map(|id| format!("<{id}>")),
        Some(sent.message_id.clone())
    );
    assert_eq!(
        m.list_unsubscribe.as_deref(),
        Some(&*format!("<{OPT_OUT}>"))
    );
    // RFC 8058 one-click: the providers POST `List-Unsubscribe=One-Click`.
    assert_eq!(
        m.list_unsubscribe_post.as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(m.content_type, "multipart/alternative");
    assert_eq!(m.text_type, "text/plain; charset=utf-8");
    assert_eq!(m.html_type, "text/html; charset=utf-8");

    // The personal link once in each part, and the opt-out link (which
    // starts with it) once too.
    assert_eq!(count_link(&m.text, SURVEY), 1, "{}", m.text);
    assert_eq!(count_link(&m.html, SURVEY), 1, "{}", m.html);
    assert!(m.html.contains(&format!("href=\"{SURVEY}\"")));
    assert_eq!(count_link(&m.text, OPT_OUT), 1);
    assert_eq!(count_link(&m.html, OPT_OUT), 1);
    assert!(m.text.contains("Không muốn nhận thư về đợt khảo sát này?"));
    assert!(m.html.contains("Không muốn nhận thư về đợt khảo sát này?"));
    assert!(m.text.contains("30/11/2025") && m.html.contains("30/11/2025"));
    assert!(m.text.contains(ORG) && m.html.contains(ORG));
    // The name: as written in text, escaped in HTML.
    assert!(
        m.text.contains(&format!("Kính gửi Ông/Bà {NAME},")),
        "{}",
        m.text
    );
    assert!(
        m.html
            .contains("Kính gửi Ông/Bà Nguyễn Văn &lt;An&gt; &amp; &quot;Bình&quot;,"),
        "{}",
        m.html
    );
    assert!(!m.html.contains("<An>"));

    assert_eq!(survey_link(&r.data).as_deref(), Some(SURVEY));
}

#[test]
fn a_reminder_over_smtp_has_its_own_subject_and_the_same_link() {
    let peer = SmtpPeer::start();
    let mailer = smtp_mailer(&peer);
    mailer
        .send(&message("b@example.vn", Template::Reminder))
        .unwrap();
    let r = &peer.received()[0];
    let m = Mail::parse(&r.data);
    assert_eq!(
        m.subject,
        "Nhắc lại: Khảo sát Chỉ số CCHC năm 2025 – Sở Tài chính đóng vào ngày 30/11/2025"
    );
    assert!(m.text.contains("chưa nhận được phiếu trả lời"));
    assert_eq!(survey_link(&r.data).as_deref(), Some(SURVEY));
}

#[test]
fn the_link_helper_finds_the_survey_link_behind_a_transfer_encoding() {
    // A long, accented text part makes lettre pick a transfer encoding; the
    // helper must read through it, whichever lettre chose.
    let peer = SmtpPeer::start();
    let mailer = smtp_mailer(&peer);
    let long = "https://khaosat.snv.quangninh.gov.vn/s/".to_string() + &"x".repeat(90);
    let ctx = invitation(&long);
    let msg = Message::new(
        Email::parse("c@example.vn").unwrap(),
        render(Template::Invitation, &ctx).unwrap(),
    );
    mailer.send(&msg).unwrap();
    let r = &peer.received()[0];
    let raw = String::from_utf8_lossy(&r.data);
    assert!(
        !raw.contains(&long),
        "the link is not readable verbatim in the raw message, so decoding is exercised"
    );
    assert_eq!(survey_link(&r.data), Some(long));
}

#[test]
fn a_550_for_a_recipient_is_permanent_with_the_servers_words() {
    let peer = SmtpPeer::start();
    let why = "5.1.1 <gone@example.vn>: Recipient address rejected: User unknown";
    peer.refuse_rcpt("gone@example.vn", 550, why);
    let mailer = smtp_mailer(&peer);
    let e = mailer
        .send(&message("gone@example.vn", Template::Invitation))
        .unwrap_err();
    assert!(e.is_permanent(), "{e:?}");
    assert_eq!(e.code(), Some(550));
    assert_eq!(e.reason(), why);
    assert!(e.to_string().contains("User unknown"), "{e}");
    assert!(peer.received().is_empty());
    // The same mailer goes on to the next recipient.
    mailer
        .send(&message("here@example.vn", Template::Invitation))
        .expect("the next recipient is served");
    assert_eq!(peer.received().len(), 1);
}

#[test]
fn a_451_for_a_recipient_is_transient() {
    let peer = SmtpPeer::start();
    peer.refuse_rcpt(
        "busy@example.vn",
        451,
        "4.7.1 Greylisted, try again in 5 minutes",
    );
    let e = smtp_mailer(&peer)
        .send(&message("busy@example.vn", Template::Invitation))
        .unwrap_err();
    assert!(e.is_transient(), "{e:?}");
    assert_eq!(e.code(), Some(451));
    assert!(e.reason().contains("Greylisted"), "{e}");
}

#[test]
fn a_refused_connection_is_transient() {
    // A port that was just free: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let s = MailSettings {
        transport: TransportKind::Smtp,
        smtp: chiso::mail::SmtpSettings {
            host: "127.0.0.1".into(),
            port: Some(port),
            security: Security::None,
            timeout_seconds: 5,
            ..Default::default()
        },
        ..settings()
    };
    let mailer = Mailer::from_settings(&s, std::path::Path::new("unused")).unwrap();
    let started = std::time::Instant::now();
    let e = mailer
        .send(&message("a@example.vn", Template::Invitation))
        .unwrap_err();
    assert!(e.is_transient(), "{e:?}");
    assert_eq!(e.code(), None);
    assert!(e.reason().to_lowercase().contains("refused"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn the_file_outbox_writes_one_parseable_eml_per_message_in_order_and_no_temp_files() {
    let data = tempfile::tempdir().unwrap();
    let s = settings(); // the default transport is the outbox
    let mailer = Mailer::from_settings(&s, data.path()).unwrap();
    let dir = data.path().join("outbox");
    assert!(dir.is_dir(), "created under data_dir");
    let to = ["a@example.vn", "b@example.vn", "c@example.vn"];
    let mut receipts = Vec::new();
    for t in to {
        receipts.push(mailer.send(&message(t, Template::Invitation)).unwrap());
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names
        .iter()
        .all(|n| n.ends_with(".eml") && !n.starts_with('.')));
    for ((name, want_to), sent) in names.iter().zip(to).zip(&receipts) {
        assert_eq!(sent.receipt, dir.join(name).display().to_string());
        let raw = std::fs::read(dir.join(name)).unwrap();
        let m = Mail::parse(&raw);
        assert_eq!(m.to_address, want_to, "files sort in the order sent");
        assert!(m.subject.starts_with("Thư mời tham gia"));
        assert_eq!(survey_link(&raw).as_deref(), Some(SURVEY));
        assert_eq!(
            m.message_id.map(|id| format!("<{id}>")),
            Some(sent.message_id.clone())
        );
    }
    let ids: std::collections::HashSet<_> = receipts.iter().map(|r| &r.message_id).collect();
    assert_eq!(ids.len(), 3, "Message-IDs are unique");
}

#[test]
fn the_outbox_never_replaces_a_file_when_many_threads_write_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = FileOutbox::new(dir.path().join("o")).unwrap();
    let mailer = Mailer::with_transport(&settings(), Transport::FileOutbox(outbox)).unwrap();
    std::thread::scope(|s| {
        for i in 0..4 {
            let mailer = &mailer;
            s.spawn(move || {
                for j in 0..10 {
                    let to = format!("t{i}x{j}@example.vn");
                    mailer.send(&message(&to, Template::Reminder)).unwrap();
                }
            });
        }
    });
    let files: Vec<_> = std::fs::read_dir(dir.path().join("o"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 40, "{files:?}");
    assert!(files.iter().all(|n| n.ends_with(".eml")));
}

#[test]
fn the_outbox_reports_an_unwritable_directory_as_transient() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = FileOutbox::new(dir.path().join("o")).unwrap();
    let mailer = Mailer::with_transport(&settings(), Transport::FileOutbox(outbox)).unwrap();
    std::fs::remove_dir(dir.path().join("o")).unwrap();
    let e = mailer
        .send(&message("a@example.vn", Template::Invitation))
        .unwrap_err();
    assert!(e.is_transient(), "{e:?}");
    assert!(
        e.reason()
            .contains(&dir.path().join("o").display().to_string()),
        "{e}"
    );
}

#[test]
fn the_memory_mailer_records_messages_and_can_refuse_a_recipient() {
    let memory = Memory::default();
    let mailer = Mailer::with_transport(&settings(), Transport::Memory(memory.clone())).unwrap();
    assert!(memory.is_empty());
    let first = message("a@example.vn", Template::Invitation);
    let sent = mailer.send(&first).unwrap();
    mailer
        .send(&message("b@example.vn", Template::Reminder))
        .unwrap();
    let got = memory.messages();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].message, first);
    assert_eq!(got[0].message_id, sent.message_id);
    assert_eq!(Mail::parse(&got[0].raw).to_address, "a@example.vn");
    assert!(Mail::parse(&got[1].raw).subject.starts_with("Nhắc lại:"));

    memory.refuse("c@example.vn", MailError::permanent("550 no such user"));
    let e = mailer
        .send(&message("c@example.vn", Template::Invitation))
        .unwrap_err();
    assert_eq!(e, MailError::permanent("550 no such user"));
    memory.accept("c@example.vn");
    mailer
        .send(&message("c@example.vn", Template::Invitation))
        .unwrap();
    assert_eq!(memory.take().len(), 3);
    assert!(memory.is_empty());
}

#[test]
fn settings_that_cannot_work_are_refused_by_key() {
    let bad_from = MailSettings {
        from: "not an address".into(),
        ..settings()
    };
    let e = Mailer::from_settings(&bad_from, std::path::Path::new("unused")).unwrap_err();
    assert_eq!(e.key, "from");

    let mut plain_password = MailSettings {
        transport: TransportKind::Smtp,
        ..settings()
    };
    plain_password.smtp.security = Security::None;
    plain_password.smtp.username = Some("u".into());
    plain_password.smtp.password = Some("p".into());
    let e = Mailer::from_settings(&plain_password, std::path::Path::new("unused")).unwrap_err();
    assert_eq!(e.key, "smtp.security");

    plain_password.smtp.security = Security::Starttls;
    plain_password.smtp.password = None;
    let e = Mailer::from_settings(&plain_password, std::path::Path::new("unused")).unwrap_err();
    assert_eq!(e.key, "smtp.username");

    // A From with its own name keeps it; one without gets the organisation.
    let named = MailSettings {
        from: "Ban khảo sát <ks@snv.vn>".into(),
        ..settings()
    };
    let m = Mailer::with_transport(&named, Transport::Memory(Memory::default())).unwrap();
    assert!(m.from_mailbox().contains("ks@snv.vn"));
    let memory = Memory::default();
    Mailer::with_transport(&named, Transport::Memory(memory.clone()))
        .unwrap()
        .send(&message("a@example.vn", Template::Invitation))
        .unwrap();
    let got = Mail::parse(&memory.messages()[0].raw);
    assert_eq!(got.from_name.as_deref(), Some("Ban khảo sát"));
}

#[test]
fn mail_travels_encrypted_to_a_relay_certified_by_the_provinces_own_ca() {
    type Mode = fn(std::sync::Arc<rustls::ServerConfig>) -> PeerTls;
    let modes: [(Mode, Security); 2] = [
        (PeerTls::StartTls, Security::Starttls),
        (PeerTls::Wrapper, Security::Tls),
    ];
    for (mode, security) in modes {
        let (config, ca_pem) = test_ca();
        let peer = SmtpPeer::start_with(mode(config));
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca-tinh.pem");
        std::fs::write(&ca_file, ca_pem).unwrap();
        let mailer = |ca: Option<&std::path::Path>| {
            let mut s = MailSettings {
                transport: TransportKind::Smtp,
                smtp: peer.settings(),
                ..settings()
            };
            s.smtp.security = security;
            s.smtp.ca_file = ca.map(|p| p.to_path_buf());
            Mailer::from_settings(&s, std::path::Path::new("unused")).expect("SMTP mailer")
        };

        // The relay's certificate is checked: without the province's CA it is
        // a stranger, and nothing is said to it in the clear.
        let e = mailer(None)
            .send(&message("an.nguyen@example.vn", Template::Invitation))
            .unwrap_err();
        assert!(
            matches!(e, MailError::Transient { .. }),
            "{security:?}: {e}"
        );
        assert!(peer.received().is_empty());
        assert!(
            !peer.commands().iter().any(|c| c.starts_with("MAIL")),
            "{security:?}: {:?}",
            peer.commands()
        );

        let sent = mailer(Some(&ca_file))
            .send(&message("an.nguyen@example.vn", Template::Invitation))
            .unwrap_or_else(|e| panic!("{security:?}: {e}"));
        assert!(sent.receipt.starts_with("250 "), "{}", sent.receipt);
        let got = peer.received();
        assert_eq!(got.len(), 1);
        assert!(got[0].tls, "{security:?}: the message came over TLS");
        assert_eq!(survey_link(&got[0].data).as_deref(), Some(SURVEY));
        if security == Security::Starttls {
            let commands = peer.commands();
            let at = commands.iter().position(|c| c == "STARTTLS").unwrap();
            assert!(
                commands[at + 1..].iter().any(|c| c.starts_with("EHLO")),
                "EHLO again inside TLS: {commands:?}"
            );
        }
    }
}

#[test]
fn a_ca_file_that_cannot_serve_is_refused_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("ca.txt");
    std::fs::write(&not_pem, "đây không phải chứng thư").unwrap();
    let cases = [
        (
            Security::Starttls,
            dir.path().join("khong-co.pem"),
            "không đọc được",
        ),
        (
            Security::Tls,
            not_pem.clone(),
            "không phải là chứng thư PEM",
        ),
        (Security::None, not_pem, "chỉ dùng với"),
    ];
    for (security, path, says) in cases {
        let mut s = MailSettings {
            transport: TransportKind::Smtp,
            ..settings()
        };
        s.smtp.security = security;
        s.smtp.ca_file = Some(path);
        let e = Mailer::from_settings(&s, std::path::Path::new("unused")).unwrap_err();
        assert_eq!(e.key, "smtp.ca_file", "{security:?}");
        assert!(e.to_string().contains(says), "{security:?}: {e}");
    }
}

#[test]
fn the_mail_section_loads_from_chiso_toml() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chiso.toml");
    std::fs::write(
        &file,
        "[mail]\ntransport = \"smtp\"\nfrom = \"ks@snv.vn\"\norganization = \"Sở Nội vụ tỉnh Hà Nam\"\n\
         [mail.smtp]\nhost = \"mail.snv.vn\"\nsecurity = \"tls\"\n",
    )
    .unwrap();
    let s = chiso::config::Settings::load(Some(&file)).unwrap();
    assert_eq!(s.mail.transport, TransportKind::Smtp);
    assert_eq!(s.mail.organization, "Sở Nội vụ tỉnh Hà Nam");
    assert_eq!(s.mail.smtp.host, "mail.snv.vn");
    assert_eq!(s.mail.smtp.port(), 465);

    std::fs::write(&file, "[mail]\ntransprot = \"smtp\"\n").unwrap();
    let e = chiso::config::Settings::load(Some(&file)).unwrap_err();
    assert!(e.to_string().contains("transprot"), "{e}");

    std::fs::write(&file, "bind = \"127.0.0.1:1\"\n").unwrap();
    let s = chiso::config::Settings::load(Some(&file)).unwrap();
    assert_eq!(
        s.mail.transport,
        TransportKind::File,
        "no [mail]: the outbox"
    );
}
