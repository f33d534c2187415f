//! Where weights come from: explicit path, NST_WEIGHTS, weights/, the download cache, and the
//! hub download itself — tested against a tiny HTTP server on localhost that speaks the part of
//! the Hugging Face protocol hf-hub uses (no internet needed).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use candle_core::Device;
use common::*;
use nst_lib::vgg::{LoadOptions, Vgg};
use nst_lib::weights::{WeightsLookup, HUB_FILE, HUB_REPO};
use nst_lib::NstError;

/// Serve `body` as `/{HUB_REPO}/resolve/main/{HUB_FILE}`, honouring Range requests; counts requests.
fn serve(body: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(20) {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut range_start = None;
            let mut range_end = None;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                    break;
                }
                if let Some(r) = line.to_ascii_lowercase().strip_prefix("range: bytes=") {
                    let (a, b) = r.trim().split_once('-').unwrap();
                    range_start = a.parse::<usize>().ok();
                    range_end = b.parse::<usize>().ok();
                }
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("");
            if path != format!("/{HUB_REPO}/resolve/main/{HUB_FILE}") {
                let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                continue;
            }
            let start = range_start.unwrap_or(0);
            let end = range_end.unwrap_or(body.len() - 1).min(body.len() - 1);
            let part = &body[start..=end];
            let head = format!(
                "HTTP/1.1 206 Partial Content\r\netag: \"tinyvgg\"\r\nx-repo-commit: 0123456789abcdef0123456789abcdef01234567\r\n\
                 content-range: bytes {start}-{end}/{}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len(),
                part.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(part);
            let _ = stream.flush();
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        }
    });
    (addr, hits)
}

fn closed_port() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    addr
}

#[test]
fn downloads_once_into_weights_then_reuses_the_file() {
    let src = tempfile::tempdir().unwrap();
    let body = std::fs::read(write_random_vgg(src.path(), "tiny.safetensors", &tiny_spec())).unwrap();
    let (endpoint, hits) = serve(body.clone());
    let dir = tempfile::tempdir().unwrap();
    let lookup =
        WeightsLookup { explicit: None, use_env: false, dir: dir.path().to_path_buf(), endpoint: Some(endpoint) };
    let path = lookup.resolve().unwrap();
    assert!(path.starts_with(dir.path().join("hf")), "{path:?}");
    assert_eq!(std::fs::read(&path).unwrap(), body);
    let vgg = Vgg::load(&path, &LoadOptions::default(), &Device::Cpu).unwrap();
    assert_eq!(vgg.spec.blocks, vec![2, 2, 3]);
    let served = hits.load(Ordering::SeqCst);
    assert!(served >= 1);
    // Second time: the cached file is used, even with the hub unreachable.
    let again = WeightsLookup { endpoint: Some(closed_port()), ..lookup.clone() }.resolve().unwrap();
    assert_eq!(again, path);
    assert_eq!(hits.load(Ordering::SeqCst), served, "no new request");
}

#[test]
fn offline_download_error_says_how_to_provide_weights() {
    let dir = tempfile::tempdir().unwrap();
    let lookup =
        WeightsLookup { explicit: None, use_env: false, dir: dir.path().to_path_buf(), endpoint: Some(closed_port()) };
    let err = lookup.resolve().unwrap_err();
    assert!(matches!(err, NstError::WeightsDownload { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("NST_WEIGHTS") && msg.contains("weights/") && msg.contains(HUB_REPO), "{msg}");
}

#[test]
fn resolution_order() {
    let dir = tempfile::tempdir().unwrap();
    let in_dir = write_random_vgg(dir.path(), "a_vgg16.safetensors", &tiny_spec());
    let vgg19 = write_random_vgg(dir.path(), "b_vgg19.safetensors", &tiny_spec());
    let other = tempfile::tempdir().unwrap();
    let from_env = write_random_vgg(other.path(), "env.safetensors", &tiny_spec());
    let explicit = write_random_vgg(other.path(), "explicit.safetensors", &tiny_spec());
    let base = WeightsLookup { explicit: None, use_env: false, dir: dir.path().to_path_buf(), endpoint: None };
    // weights/ : VGG19 preferred over other files.
    assert_eq!(base.resolve().unwrap(), vgg19);
    std::fs::remove_file(&vgg19).unwrap();
    assert_eq!(base.resolve().unwrap(), in_dir);
    // NST_WEIGHTS beats weights/ (this is the only test in this binary that touches the variable).
    std::env::set_var("NST_WEIGHTS", &from_env);
    let with_env = WeightsLookup { use_env: true, ..base.clone() };
    assert_eq!(with_env.resolve().unwrap(), from_env);
    // An explicit path beats everything.
    assert_eq!(WeightsLookup { explicit: Some(explicit.clone()), ..with_env.clone() }.resolve().unwrap(), explicit);
    // A wrong NST_WEIGHTS is an error naming it, not a silent fallback.
    std::env::set_var("NST_WEIGHTS", other.path().join("missing.safetensors"));
    let err = with_env.resolve().unwrap_err().to_string();
    assert!(err.contains("NST_WEIGHTS") && err.contains("missing.safetensors"), "{err}");
    std::env::remove_var("NST_WEIGHTS");
}
