//! The live view: a page on 127.0.0.1 that follows a run (`/`, `/frame.png`, `/state.json`).

mod common;

use std::io::{Read, Write};

use nst_lib::config::Report;
use nst_lib::live::LiveView;
use nst_lib::{Config, StyleTransfer};

/// GET `path` from 127.0.0.1:`port`: (status line, body).
fn get(port: u16, path: &str) -> (String, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut all = vec![];
    s.read_to_end(&mut all).unwrap();
    let split = all.windows(4).position(|w| w == b"\r\n\r\n").expect("a header") + 4;
    let head = String::from_utf8_lossy(&all[..split]).to_string();
    (head.lines().next().unwrap_or("").to_string(), all[split..].to_vec())
}

#[test]
fn the_page_follows_a_session_step_by_step() {
    let dir = tempfile::tempdir().unwrap();
    let weights = common::write_random_vgg(dir.path(), "tiny.safetensors", &common::tiny_spec());
    let cfg = Config { steps: 6, save: false, report: Report::Off, ..common::tiny_config(dir.path()) };
    let st = StyleTransfer::with_weights(cfg, &weights).unwrap();
    let c = common::write_image(dir.path(), "photo.png", 40, 32).display().to_string();
    let s = common::write_image(dir.path(), "paint.png", 24, 24).display().to_string();
    let live = LiveView::start(0).unwrap();
    assert_eq!(live.url(), format!("http://127.0.0.1:{}/", live.port()));
    let (status, page) = get(live.port(), "/");
    assert!(status.contains("200") && String::from_utf8_lossy(&page).contains("frame.png"), "{status}");
    assert!(get(live.port(), "/frame.png").0.contains("404"), "no picture before the first step");
    assert!(get(live.port(), "/nothing").0.contains("404"));

    let mut session = st.session(&c, &s).unwrap();
    session.watch(live.observer());
    session.run(3).unwrap();
    let (status, first) = get(live.port(), "/frame.png");
    assert!(status.contains("200"), "{status}");
    let img = image::load_from_memory(&first).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), session.image().unwrap().dimensions());
    let state: serde_json::Value = serde_json::from_slice(&get(live.port(), "/state.json").1).unwrap();
    assert_eq!(state["step"], 3);
    let curve: Vec<u64> = state["curve"].as_array().unwrap().iter().map(|p| p[0].as_u64().unwrap()).collect();
    assert_eq!(curve, [1, 2, 3], "the loss of every step so far, while it runs");
    std::thread::sleep(std::time::Duration::from_millis(250)); // the view copies at most 5 pictures a second
    session.run(3).unwrap();
    let (_, second) = get(live.port(), "/frame.png");
    assert_ne!(first, second, "the picture follows the run");
    let out = session.finish().unwrap();
    live.show_outcome(&out);
    let state: serde_json::Value = serde_json::from_slice(&get(live.port(), "/state.json").1).unwrap();
    assert_eq!((state["step"].as_u64(), state["done"].as_bool()), (Some(6), Some(true)));
    assert_eq!(state["curve"].as_array().unwrap().len(), 6);
    let shown = image::load_from_memory(&get(live.port(), "/frame.png").1).unwrap().to_rgb8();
    assert!(shown == out.image, "the finished picture");
}

#[test]
fn a_port_in_use_gives_the_next_free_one() {
    let first = LiveView::start(0).unwrap();
    let second = LiveView::start(first.port()).unwrap();
    assert!(second.port() > first.port(), "{} then {}", first.port(), second.port());
    assert!(get(second.port(), "/").0.contains("200"));
    let port = first.port();
    drop(first);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "dropped: no longer served");
}
