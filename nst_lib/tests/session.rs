//! A session that lives across notebook cells: an owned network, an optimiser that keeps its
//! state between calls, changes that restart it only when they must, stops that resume.

mod common;

use nst_lib::config::Report;
use nst_lib::optim::Optimizer;
use nst_lib::transfer::Session;
use nst_lib::{Config, Outcome, Status, StyleTransfer};

/// A tiny random network, a 40×32 photo and a 24×24 painting, `steps` steps of `optimizer`.
fn tiny(dir: &std::path::Path, optimizer: Optimizer, steps: usize) -> (StyleTransfer, String, String) {
    let weights = common::write_random_vgg(dir, "tiny.safetensors", &common::tiny_spec());
    let cfg = Config { steps, save: false, report: Report::Off, optimizer, ..common::tiny_config(dir) };
    let c = common::write_image(dir, "photo.png", 40, 32).display().to_string();
    let s = common::write_image(dir, "paint.png", 24, 24).display().to_string();
    (StyleTransfer::with_weights(cfg, &weights).unwrap(), c, s)
}

/// The losses of every step, bit for bit, and which were accepted.
fn steps(o: &Outcome) -> Vec<(u64, bool)> {
    o.history.iter().map(|r| (r.loss.total.to_bits(), r.accepted)).collect()
}

fn session_in_parts(st: &StyleTransfer, c: &str, s: &str, parts: &[usize]) -> Outcome {
    let mut session = st.session(c, s).unwrap();
    for &n in parts {
        assert_eq!(session.run(n).unwrap(), Status::Finished);
    }
    session.finish().unwrap()
}

#[test]
fn steps_in_parts_are_one_run_bit_for_bit() {
    // Every optimiser: each is a loop paused between calls by the same driver.
    for name in ["lbfgs", "adam", "sgd"] {
        let optimizer = Optimizer::parse(name).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (st, c, s) = tiny(dir.path(), optimizer.clone(), 60);
        // The whole run, and the optimiser's own closed loop on the same objective: the
        // independent computation (no session, no thread in between).
        let whole = st.run(&c, &s).unwrap();
        let session = st.session(&c, &s).unwrap();
        assert!(whole.history.iter().any(|r| !r.accepted) || name != "lbfgs", "L-BFGS made trials");
        assert!(whole.history.iter().all(|r| r.accepted) || name == "lbfgs", "{name}: every step is an iterate");
        for parts in [vec![30, 30], vec![1, 59], vec![7, 7, 7, 39], vec![59, 1], vec![13, 17, 30]] {
            let split = session_in_parts(&st, &c, &s, &parts);
            let case = format!("{} in parts {parts:?}", optimizer.name());
            assert_eq!(steps(&split), steps(&whole), "{case}: the steps' losses");
            assert!(split.image == whole.image, "{case}: the picture");
        }
        drop(session);
        // The closed loop: minimize_marking with a budget, on the loss the run optimised.
        let loss = nst_lib::total_loss::TotalLoss::new(
            &st.vgg,
            Some(&nst_lib::image_io::to_tensor(whole.content_image.as_ref().unwrap(), st.vgg.device()).unwrap()),
            Some(&nst_lib::image_io::to_tensor(whole.style_image.as_ref().unwrap(), st.vgg.device()).unwrap()),
            &st.config,
        )
        .unwrap();
        let x0 = nst_lib::image_io::to_tensor(whole.content_image.as_ref().unwrap(), st.vgg.device()).unwrap();
        let (mut seen, mut accepted) = (vec![], vec![]);
        let x = optimizer
            .minimize_marking(
                &x0,
                60,
                &mut |x| {
                    let (parts, g) = loss.loss_and_grad(x)?;
                    seen.push(parts.total.to_bits());
                    Ok((parts.total, g))
                },
                &mut |l| {
                    accepted.push(l.to_bits());
                    std::ops::ControlFlow::Continue(())
                },
            )
            .unwrap();
        let name = optimizer.name();
        assert_eq!(seen, steps(&whole).iter().map(|s| s.0).collect::<Vec<_>>(), "{name}: the closed loop");
        // The steps the run marks accepted are the iterates the optimiser reported moving to.
        let marked: Vec<u64> = steps(&whole).iter().filter(|s| s.1).map(|s| s.0).collect();
        assert_eq!(marked, accepted, "{name}: the accepted steps");
        assert!(
            nst_lib::image_io::to_image(&x).unwrap() == whole.image,
            "{}: the closed loop's picture",
            optimizer.name()
        );
    }
}

#[test]
fn a_session_outlives_the_network_value_that_made_it() {
    let dir = tempfile::tempdir().unwrap();
    // Made in one block (one notebook cell), run in the next: the network is shared, not borrowed.
    let mut session: Session = {
        let (st, c, s) = tiny(dir.path(), Optimizer::parse("lbfgs").unwrap(), 10);
        st.session(&c, &s).unwrap()
    };
    session.run(4).unwrap();
    session.run(6).unwrap();
    assert_eq!(session.history().len(), 10);
    assert_eq!(session.finish().unwrap().history.len(), 10);
}

#[test]
fn a_change_of_the_objective_restarts_the_optimiser_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (st, c, s) = tiny(dir.path(), Optimizer::parse("lbfgs").unwrap(), 20);
    let mut session = st.session(&c, &s).unwrap();
    session.run(10).unwrap();
    let before = session.image().unwrap();
    let beta = session.config().style_weight;
    session.change(|c| c.style_weight = 2.0 * beta).unwrap();
    assert!(session.image().unwrap() == before, "a change does not move the picture");
    let changes = session.changes().to_vec();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].after_step, 10);
    assert!(changes[0].optimiser_reset);
    assert!(changes[0].what.starts_with("style_weight: "), "{}", changes[0].what);
    // A fresh optimiser first evaluates where it starts: the picture the session stood on.
    let mut first = None;
    session
        .run_with_progress(5, &mut |p| {
            first.get_or_insert_with(|| nst_lib::image_io::to_image(p.image).unwrap());
        })
        .unwrap();
    assert!(first.unwrap() == before, "after the change the optimiser starts from the current picture");
    let out = session.finish().unwrap();
    assert_eq!(out.changes, changes, "the outcome keeps the changes");
    assert_eq!(out.history.len(), 15, "one history across the change");

    // A change of the run's length or frames only: the same optimiser runs on, bit for bit.
    let mut session = st.session(&c, &s).unwrap();
    session.run(10).unwrap();
    session.change(|c| c.snapshots = 3).unwrap();
    assert!(!session.changes()[0].optimiser_reset, "{:?}", session.changes());
    session.run(10).unwrap();
    let whole = st.run(&c, &s).unwrap();
    assert_eq!(steps(&session.finish().unwrap()), steps(&whole));
    // A change that changes nothing is not recorded.
    let mut session = st.session(&c, &s).unwrap();
    session.change(|c| c.style_weight = beta).unwrap();
    assert!(session.changes().is_empty());
}

#[test]
fn a_stopped_session_is_a_status_and_runs_on_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let (st, c, s) = tiny(dir.path(), Optimizer::parse("lbfgs").unwrap(), 20);
    let whole = st.run(&c, &s).unwrap();
    let mut session = st.session(&c, &s).unwrap();
    let stop = st.stop.clone();
    let status = session
        .run_with_progress(20, &mut |p| {
            if p.report.step == 7 {
                stop.request();
            }
        })
        .unwrap();
    assert_eq!(status, Status::Stopped { step: 7 });
    assert_eq!(session.history().len(), 7);
    st.stop.clear();
    assert_eq!(session.run(13).unwrap(), Status::Finished);
    assert_eq!(steps(&session.finish().unwrap()), steps(&whole), "stopped at 7 and resumed: the run of 20");
}

#[test]
fn an_optimiser_that_has_ended_starts_afresh_on_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let (mut st, c, s) = tiny(dir.path(), Optimizer::parse("lbfgs").unwrap(), 200);
    st.config.stop_change = Some(0.3); // ends the tiny run early (see the stopping rule's test)
    let mut session = st.session(&c, &s).unwrap();
    session.run(200).unwrap();
    let ended_at = session.history().len();
    assert!(ended_at < 200, "the stopping rule ended the optimiser");
    assert!(session.changes().is_empty());
    session.run(5).unwrap();
    assert!(session.history().len() > ended_at, "a new optimiser ran");
    let restart = &session.changes()[0];
    assert_eq!((restart.after_step, restart.optimiser_reset), (ended_at, true), "{restart:?}");
}

#[test]
fn a_picture_in_memory_paints_as_its_file_does() {
    let dir = tempfile::tempdir().unwrap();
    let (st, c, s) = tiny(dir.path(), Optimizer::parse("lbfgs").unwrap(), 12);
    let from_files = st.run(&c, &s).unwrap();
    let photo = image::open(&c).unwrap().to_rgb8();
    let inputs = nst_lib::Inputs::style_transfer(nst_lib::Source::image("my_photo", photo), s.as_str());
    let from_memory = st.run_inputs(&inputs, &mut |_| {}).unwrap();
    assert_eq!(steps(&from_memory), steps(&from_files));
    assert!(from_memory.image == from_files.image, "the same picture");
    assert_eq!((from_memory.content_name.as_str(), from_memory.style_name.as_str()), ("my_photo", "paint"));
    // A session takes them too, and a bad file is named before any work.
    let mut session = st.session_with(&inputs).unwrap();
    session.run(12).unwrap();
    assert_eq!(steps(&session.finish().unwrap()), steps(&from_files));
    let missing = nst_lib::Inputs::style_transfer("no/such/photo.png", s.as_str());
    let err = st.session_with(&missing).err().expect("a missing file is an error").to_string();
    assert!(err.contains("no/such/photo.png"), "{err}");
    // Inputs built by hand with no picture at all: an error that says what to give, not a panic.
    let empty = nst_lib::Inputs { content: None, styles: vec![], start: None };
    for err in [st.session_with(&empty).err(), st.run_inputs(&empty, &mut |_| {}).err()] {
        let err = err.expect("no picture is an error").to_string();
        assert!(err.contains("no picture given") && err.contains("Inputs::style_transfer"), "{err}");
    }
}

#[test]
fn a_stop_before_a_calls_first_step_keeps_the_picture_the_session_stood_on() {
    let dir = tempfile::tempdir().unwrap();
    let (st, c, s) = tiny(dir.path(), Optimizer::parse("lbfgs").unwrap(), 40);
    let whole = st.run(&c, &s).unwrap();
    // Pause right after a rejected line-search trial: the session stands on the iterate before it.
    let k = whole.history.iter().position(|r| !r.accepted).expect("L-BFGS rejects a trial") + 1;
    let mut session = st.session(&c, &s).unwrap();
    session.run(k).unwrap();
    let standing = session.image().unwrap();
    st.stop.request();
    assert_eq!(session.run(5).unwrap(), Status::Stopped { step: k });
    assert!(session.image().unwrap() == standing, "the picture is not replaced by the rejected trial");
    st.stop.clear();
}

#[test]
fn a_change_of_the_blend_rebuilds_the_targets() {
    let dir = tempfile::tempdir().unwrap();
    let (mut st, c, s) = tiny(dir.path(), Optimizer::parse("lbfgs").unwrap(), 4);
    let other = common::write_image(dir.path(), "other.png", 20, 28).display().to_string();
    let styles = format!("{s},{other}");
    let mut session = st.session(&c, &styles).unwrap();
    session.change(|c| c.style_blend = vec![1.0, 0.0]).unwrap();
    let changed = session.loss().unwrap().style;
    st.config.style_blend = vec![1.0, 0.0];
    let fresh = st.session(&c, &styles).unwrap().loss().unwrap().style;
    assert!(common::rel_err(changed, fresh) < 1e-6, "{changed} vs a fresh session's {fresh}");
    assert!(session.change(|c| c.style_blend = vec![1.0, 1.0, 1.0]).is_err(), "three weights for two styles");
}

#[test]
fn a_change_of_the_relative_layers_rebuilds_the_targets() {
    let dir = tempfile::tempdir().unwrap();
    let (mut st, c, s) = tiny(dir.path(), Optimizer::parse("lbfgs").unwrap(), 4);
    let first = st.config.style_layers[0].layer.clone();
    let mut session = st.session(&c, &s).unwrap();
    let before = session.loss().unwrap().style;
    session.change(|cfg| cfg.relative_style_layers = vec![first.clone()]).unwrap();
    let changed = session.loss().unwrap().style;
    st.config.relative_style_layers = vec![first];
    let fresh = st.session(&c, &s).unwrap().loss().unwrap().style;
    assert!(common::rel_err(changed, fresh) < 1e-6, "{changed} vs a fresh session's {fresh}");
    assert!(common::rel_err(changed, before) > 1e-3, "the change took effect: {before} → {changed}");
}
