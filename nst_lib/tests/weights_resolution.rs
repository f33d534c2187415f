//! Where weights come from: explicit path, NST_WEIGHTS, weights/, the download cache, and the
//! hub download itself — tested against a tiny HTTP server on localhost that answers as the
//! Hugging Face hub does (a redirect to its file store; no internet needed).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use candle_core::Device;
use common::*;
use nst_lib::vgg::{LoadOptions, Vgg};
use nst_lib::weights::{WeightsLookup, DOWNLOADED_FILE, HUB_FILE, HUB_REPO};
use nst_lib::NstError;

/// The hub's answer for `/{HUB_REPO}/resolve/main/{HUB_FILE}`, as huggingface.co gives it: a
/// redirect to its file store, which serves `body`. Counts requests; any other path is a 404.
fn serve(body: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let len = body.len();
    serve_claiming(body, len)
}

/// `serve`, announcing `claimed` bytes (more than `body` is a transfer cut short).
fn serve_claiming(body: Vec<u8>, claimed: usize) -> (String, Arc<AtomicUsize>) {
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
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                    break;
                }
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("");
            let head = if path == format!("/{HUB_REPO}/resolve/main/{HUB_FILE}") {
                "HTTP/1.1 302 Found\r\nlocation: /store/blob\r\ncontent-length: 0\r\n".to_string()
            } else if path == "/store/blob" {
                format!("HTTP/1.1 200 OK\r\ncontent-length: {claimed}\r\n")
            } else {
                "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n".to_string()
            };
            let _ = stream.write_all(format!("{head}connection: close\r\n\r\n").as_bytes());
            if path == "/store/blob" {
                let _ = stream.write_all(&body);
            }
            let _ = stream.flush();
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

/// The download runs the `curl` program; without it these tests say so and stop.
fn have_curl(test: &str) -> bool {
    let ok = std::process::Command::new("curl").arg("--version").output().is_ok();
    if !ok {
        skip(test, "no `curl` program on this machine (the download runs it)");
    }
    ok
}

/// No file in `dir` but those named.
fn files_in(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

/// A lookup in a fresh folder that downloads from `endpoint`.
fn downloading_from(endpoint: String, dir: &std::path::Path) -> WeightsLookup {
    WeightsLookup { explicit: None, use_env: false, dir: dir.to_path_buf(), endpoint: Some(endpoint) }
}

#[test]
fn downloads_once_into_weights_then_reuses_the_file() {
    if !have_curl("downloads_once_into_weights_then_reuses_the_file") {
        return;
    }
    let src = tempfile::tempdir().unwrap();
    let body = std::fs::read(write_random_vgg(src.path(), "tiny.safetensors", &tiny_spec())).unwrap();
    let (endpoint, hits) = serve(body.clone());
    let dir = tempfile::tempdir().unwrap();
    let lookup = downloading_from(endpoint, dir.path());
    let path = lookup.resolve().unwrap();
    assert_eq!(path, dir.path().join(DOWNLOADED_FILE));
    assert_eq!(files_in(dir.path()), vec![DOWNLOADED_FILE.to_string()], "the partial file was renamed");
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
    let err = downloading_from(closed_port(), dir.path()).resolve().unwrap_err();
    assert!(matches!(err, NstError::WeightsDownload { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("NST_WEIGHTS") && msg.contains("weights/") && msg.contains(HUB_REPO), "{msg}");
    assert!(files_in(dir.path()).is_empty(), "nothing kept: {:?}", files_in(dir.path()));
}

#[test]
fn a_download_that_is_not_weights_is_an_error_and_leaves_no_file() {
    if !have_curl("a_download_that_is_not_weights_is_an_error_and_leaves_no_file") {
        return;
    }
    // A captive portal or proxy answers with a web page: the lookup must not keep it as weights.
    let (endpoint, _) = serve(b"<html>please log in</html>".to_vec());
    let dir = tempfile::tempdir().unwrap();
    let err = downloading_from(endpoint, dir.path()).resolve().unwrap_err();
    assert!(matches!(err, NstError::WeightsDownload { .. }), "{err}");
    assert!(err.to_string().contains("not a safetensors file"), "{err}");
    assert!(files_in(dir.path()).is_empty(), "nothing kept: {:?}", files_in(dir.path()));
}

#[test]
fn a_transfer_cut_short_is_curls_error_and_leaves_no_file() {
    if !have_curl("a_transfer_cut_short_is_curls_error_and_leaves_no_file") {
        return;
    }
    let src = tempfile::tempdir().unwrap();
    let body = std::fs::read(write_random_vgg(src.path(), "tiny.safetensors", &tiny_spec())).unwrap();
    // The server promises the whole file and closes the connection halfway.
    let (endpoint, _) = serve_claiming(body[..body.len() / 2].to_vec(), body.len());
    let dir = tempfile::tempdir().unwrap();
    let err = downloading_from(endpoint, dir.path()).resolve().unwrap_err();
    assert!(matches!(err, NstError::WeightsDownload { .. }), "{err}");
    // curl's own words (exit code 18, "transfer closed with N bytes remaining to read").
    assert!(err.to_string().contains("remaining"), "{err}");
    assert!(files_in(dir.path()).is_empty(), "nothing kept: {:?}", files_in(dir.path()));
}

#[test]
fn a_short_file_that_ends_cleanly_is_caught_by_its_header() {
    if !have_curl("a_short_file_that_ends_cleanly_is_caught_by_its_header") {
        return;
    }
    let src = tempfile::tempdir().unwrap();
    let body = std::fs::read(write_random_vgg(src.path(), "tiny.safetensors", &tiny_spec())).unwrap();
    // A complete HTTP answer (curl succeeds) of a file missing its last kilobyte.
    let (endpoint, _) = serve(body[..body.len() - 1024].to_vec());
    let dir = tempfile::tempdir().unwrap();
    let err = downloading_from(endpoint, dir.path()).resolve().unwrap_err();
    assert!(err.to_string().contains("not a safetensors file"), "{err}");
    assert!(files_in(dir.path()).is_empty(), "nothing kept: {:?}", files_in(dir.path()));
}

#[test]
fn a_download_that_cannot_take_its_name_is_an_error_and_leaves_no_part() {
    if !have_curl("a_download_that_cannot_take_its_name_is_an_error_and_leaves_no_part") {
        return;
    }
    // A folder (with a file in it) where the weights should go: the rename at the end fails.
    let src = tempfile::tempdir().unwrap();
    let body = std::fs::read(write_random_vgg(src.path(), "tiny.safetensors", &tiny_spec())).unwrap();
    let (endpoint, _) = serve(body);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(DOWNLOADED_FILE)).unwrap();
    std::fs::write(dir.path().join(DOWNLOADED_FILE).join("keep.txt"), b"mine").unwrap();
    let err = downloading_from(endpoint, dir.path()).resolve().unwrap_err();
    assert!(matches!(err, NstError::WeightsDownload { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains(DOWNLOADED_FILE) && msg.contains("move what is there away"), "{msg}");
    assert_eq!(files_in(dir.path()), vec![DOWNLOADED_FILE.to_string()], "no .part left beside it");
    assert_eq!(std::fs::read(dir.path().join(DOWNLOADED_FILE).join("keep.txt")).unwrap(), b"mine");
}

#[test]
fn a_leftover_part_file_is_never_taken_for_weights_and_an_abandoned_one_is_removed() {
    // A download killed with its kernel leaves its `.part` file; even a complete one is not
    // weights until renamed, so the lookup goes on to download (here: to a closed port). Every
    // lookup first removes the parts nobody has written to for ABANDONED_AFTER, and leaves a
    // recent one (another kernel's download may still be writing it).
    let dir = tempfile::tempdir().unwrap();
    let old = format!("{DOWNLOADED_FILE}.4242-0.part");
    let recent = format!("{DOWNLOADED_FILE}.4243-0.part");
    let unrelated = "notes.part".to_string();
    for name in [&old, &recent, &unrelated] {
        write_random_vgg(dir.path(), name, &tiny_spec());
    }
    let abandon = |name: &str| {
        let file = std::fs::OpenOptions::new().write(true).open(dir.path().join(name)).unwrap();
        let idle = nst_lib::weights::ABANDONED_AFTER + std::time::Duration::from_secs(1);
        file.set_modified(std::time::SystemTime::now() - idle).unwrap();
    };
    abandon(&old);
    let err = downloading_from(closed_port(), dir.path()).resolve().unwrap_err();
    assert!(matches!(err, NstError::WeightsDownload { .. }), "{err}");
    let mut left = files_in(dir.path());
    left.sort();
    assert_eq!(left, vec![unrelated, recent], "the abandoned part removed, the rest left alone");
    // Also when the weights are there and nothing is downloaded (another kernel's download
    // finished while this one's was killed).
    let weights = write_random_vgg(dir.path(), DOWNLOADED_FILE, &tiny_spec());
    write_random_vgg(dir.path(), &old, &tiny_spec());
    abandon(&old);
    assert_eq!(downloading_from(closed_port(), dir.path()).resolve().unwrap(), weights);
    assert!(!dir.path().join(&old).exists(), "the abandoned part removed by a lookup that found the weights");
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
