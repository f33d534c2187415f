//! Optimisers on textbook problems, and L-BFGS step for step against torch.optim.LBFGS.

mod common;

use std::ops::ControlFlow;

use candle_core::{DType, Device, Tensor};
use common::*;
use nst_lib::optim::{Adam, Lbfgs, LineSearch, Optimizer, SgdDecay};
use nst_lib::Result;

/// Rosenbrock in 2-D: minimum 0 at (1, 1).
fn rosenbrock(x: &Tensor) -> Result<(f64, Tensor)> {
    let v = x.to_vec1::<f64>()?;
    let (a, b) = (v[0], v[1]);
    let f = (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2);
    let g = vec![-2.0 * (1.0 - a) - 400.0 * a * (b - a * a), 200.0 * (b - a * a)];
    Ok((f, Tensor::new(g, &Device::Cpu)?))
}

/// ½ xᵀ diag(d) x − bᵀx, minimum at x = b / d.
fn quadratic(x: &Tensor) -> Result<(f64, Tensor)> {
    let d = Tensor::new(&[1.0f64, 10.0, 100.0], &Device::Cpu)?;
    let b = Tensor::new(&[1.0f64, 2.0, 3.0], &Device::Cpu)?;
    let dx = (&d * x)?;
    let f = ((x * &dx)?.sum_all()?.to_scalar::<f64>()? * 0.5) - (&b * x)?.sum_all()?.to_scalar::<f64>()?;
    Ok((f, (dx - b)?))
}

fn start(v: &[f64]) -> Tensor {
    Tensor::new(v, &Device::Cpu).unwrap()
}

#[test]
fn lbfgs_with_line_search_solves_rosenbrock() {
    let mut evals = 0;
    let x = Optimizer::Lbfgs(Lbfgs::default())
        .minimize(&start(&[-1.2, 1.0]), 200, &mut |x: &Tensor| {
            evals += 1;
            rosenbrock(x)
        })
        .unwrap();
    let v = x.to_vec1::<f64>().unwrap();
    assert!((v[0] - 1.0).abs() < 1e-4 && (v[1] - 1.0).abs() < 1e-4, "{v:?} after {evals} evaluations");
    assert!(evals <= 200);
}

#[test]
fn lbfgs_solves_a_quadratic_in_a_few_iterations() {
    // Without line search the unit step overshoots at first, so it needs more evaluations.
    for (ls, evals, tol) in [(Some(LineSearch::StrongWolfe), 30, 1e-6), (None, 100, 1e-5)] {
        let opt = Optimizer::Lbfgs(Lbfgs { line_search: ls, ..Lbfgs::default() });
        let x = opt.minimize(&start(&[0.0, 0.0, 0.0]), evals, &mut quadratic).unwrap().to_vec1::<f64>().unwrap();
        for (xi, want) in x.iter().zip([1.0, 0.2, 0.03]) {
            assert!((xi - want).abs() < tol, "line search {ls:?}: {x:?}");
        }
    }
}

#[test]
fn adam_solves_a_quadratic_and_rosenbrock() {
    let x = Optimizer::Adam(Adam { lr: 0.05, ..Adam::default() })
        .minimize(&start(&[0.0, 0.0, 0.0]), 2000, &mut quadratic)
        .unwrap()
        .to_vec1::<f64>()
        .unwrap();
    for (xi, want) in x.iter().zip([1.0, 0.2, 0.03]) {
        assert!((xi - want).abs() < 1e-3, "{x:?}");
    }
    let x = Optimizer::Adam(Adam { lr: 0.02, ..Adam::default() })
        .minimize(&start(&[-1.2, 1.0]), 5000, &mut rosenbrock)
        .unwrap()
        .to_vec1::<f64>()
        .unwrap();
    assert!((x[0] - 1.0).abs() < 0.02 && (x[1] - 1.0).abs() < 0.04, "{x:?}");
}

#[test]
fn adam_has_no_weight_decay_by_default() {
    // A zero gradient must leave the image alone (candle-nn's AdamW would shrink it by 1% a step).
    let x = Optimizer::Adam(Adam::default())
        .minimize(&start(&[0.5, 0.7]), 10, &mut |x: &Tensor| Ok((0.0, x.zeros_like()?)))
        .unwrap();
    assert_eq!(x.to_vec1::<f64>().unwrap(), vec![0.5, 0.7]);
}

#[test]
fn sgd_learning_rate_decays_exponentially() {
    let s = SgdDecay { lr: 100.0, decay_rate: 0.96, decay_steps: 100.0, max_step: None };
    assert_eq!(s.lr_at(0), 100.0);
    assert!((s.lr_at(100) - 96.0).abs() < 1e-9);
    assert!((s.lr_at(250) - 100.0 * 0.96f64.powf(2.5)).abs() < 1e-9);
    let x = Optimizer::Sgd(SgdDecay { lr: 0.009, decay_rate: 0.9, decay_steps: 1000.0, max_step: None })
        .minimize(&start(&[0.0, 0.0, 0.0]), 3000, &mut quadratic)
        .unwrap()
        .to_vec1::<f64>()
        .unwrap();
    for (xi, want) in x.iter().zip([1.0, 0.2, 0.03]) {
        assert!((xi - want).abs() < 1e-3, "{x:?}");
    }
}

#[test]
fn every_optimiser_respects_the_step_budget() {
    for opt in ["lbfgs", "lbfgs-nols", "adam", "sgd"] {
        let mut evals = 0;
        Optimizer::parse(opt)
            .unwrap()
            .minimize(&start(&[-1.2, 1.0]), 17, &mut |x: &Tensor| {
                evals += 1;
                rosenbrock(x)
            })
            .unwrap();
        assert_eq!(evals, 17, "{opt}");
    }
}

/// Numbers of a JSON array.
fn numbers(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// lbfgs.json's problem, f(x) = ½xᵀAx − bᵀx + ¼Σx⁴ with ∇f = Ax − b + x³: the fixture and the
/// objective, as make_fixtures.py runs torch's optimisers on it.
fn quartic() -> (serde_json::Value, impl FnMut(&Tensor) -> Result<(f64, Tensor)>) {
    let fx: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("lbfgs.json")).unwrap()).unwrap();
    let n = fx["n"].as_u64().unwrap() as usize;
    let a = Tensor::from_vec(numbers(&fx["A"]), (n, n), &Device::Cpu).unwrap();
    let b = Tensor::from_vec(numbers(&fx["b"]), (n, 1), &Device::Cpu).unwrap();
    let f = move |x: &Tensor| -> Result<(f64, Tensor)> {
        let xc = x.reshape((n, 1))?;
        let ax = a.matmul(&xc)?;
        let val = 0.5 * (&xc * &ax)?.sum_all()?.to_scalar::<f64>()? - (&b * &xc)?.sum_all()?.to_scalar::<f64>()?
            + 0.25 * xc.powf(4.0)?.sum_all()?.to_scalar::<f64>()?;
        Ok((val, ((ax - &b)? + xc.powf(3.0)?)?.reshape(n)?))
    };
    (fx, f)
}

/// L-BFGS with a fixture run's options from `start` on `f`: its loss at every evaluation and its
/// end point equal torch's.
fn follow_torch(run: &serde_json::Value, start: Vec<f64>, f: &mut dyn FnMut(&Tensor) -> Result<(f64, Tensor)>) {
    let o = &run["options"];
    let lbfgs = Lbfgs {
        lr: o.get("lr").and_then(|v| v.as_f64()).unwrap_or(1.0),
        max_iter: o["max_iter"].as_u64().unwrap() as usize,
        history_size: o["history_size"].as_u64().unwrap() as usize,
        line_search: o["line_search_fn"].as_str().map(|_| LineSearch::StrongWolfe),
        // torch's defaults where the run does not set them.
        tolerance_change: o.get("tolerance_change").and_then(|v| v.as_f64()).unwrap_or(1e-9),
        tolerance_grad: o.get("tolerance_grad").and_then(|v| v.as_f64()).unwrap_or(1e-7),
    };
    // torch's evaluation budget: max_iter · 5/4 unless the run sets it.
    let max_evals = o.get("max_eval").and_then(|v| v.as_u64()).map_or(lbfgs.max_iter * 5 / 4, |v| v as usize);
    let mut losses = vec![];
    let x = lbfgs
        .minimize(&Tensor::new(start, &Device::Cpu).unwrap(), max_evals, &mut |x: &Tensor| {
            let r = f(x)?;
            losses.push(r.0);
            Ok(r)
        })
        .unwrap();
    let want = numbers(&run["losses"]);
    let name = run["name"].as_str().unwrap();
    assert_eq!(losses.len(), want.len(), "{name}: number of evaluations {losses:?} vs torch {want:?}");
    for (i, (a, b)) in losses.iter().zip(&want).enumerate() {
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{name}: evaluation {i}: {a} vs torch {b}");
    }
    let x = x.to_dtype(DType::F64).unwrap().to_vec1::<f64>().unwrap();
    for (a, b) in x.iter().zip(numbers(&run["final"])) {
        assert!((a - b).abs() < 1e-9, "{name}: final x {a} vs torch {b}");
    }
}

#[test]
fn lbfgs_follows_torch_step_for_step() {
    let (fx, mut f) = quartic();
    for run in fx["runs"].as_array().unwrap() {
        // Some runs minimise the objective times a small number (where the loss-change rule stops).
        let scale = run.get("scale").and_then(|v| v.as_f64()).unwrap_or(1.0);
        follow_torch(run, numbers(&fx["start"]), &mut |x: &Tensor| {
            let (v, g) = f(x)?;
            Ok((v * scale, (g * scale)?))
        });
    }
    // A jump to the other side of x², where only the loss-change rule stops the run.
    follow_torch(&fx["jump_run"], vec![1.0], &mut |x: &Tensor| {
        Ok((x.sqr()?.sum_all()?.to_scalar::<f64>()?, (x * 2.0)?))
    });
    // 2-D Rosenbrock: trials that overshoot, zooms, insufficient progress.
    for run in fx["rosenbrock_runs"].as_array().unwrap() {
        follow_torch(run, vec![-1.2, 1.0], &mut rosenbrock);
    }
}

#[test]
fn accepted_iterates_are_marked_and_trials_are_not() {
    for opt in ["lbfgs", "lbfgs-nols", "adam"] {
        let (mut evaluated, mut accepted) = (vec![], vec![]);
        let x = Optimizer::parse(opt)
            .unwrap()
            .minimize_marking(
                &start(&[-1.2, 1.0]),
                60,
                &mut |x: &Tensor| {
                    let (f, g) = rosenbrock(x)?;
                    evaluated.push(f);
                    Ok((f, g))
                },
                &mut |loss| {
                    accepted.push(loss);
                    ControlFlow::Continue(())
                },
            )
            .unwrap();
        assert_eq!(accepted[0], rosenbrock(&start(&[-1.2, 1.0])).unwrap().0, "{opt}: the start is an iterate");
        assert!(accepted.iter().all(|a| evaluated.contains(a)), "{opt}: each iterate was evaluated");
        if opt == "lbfgs" {
            // The line search only accepts a decrease (Armijo), and Rosenbrock needs trials.
            assert!(accepted.windows(2).all(|w| w[1] <= w[0]), "{opt}: {accepted:?}");
            assert!(accepted.len() < evaluated.len(), "{opt}: some evaluations are trials");
            // The returned point is the last iterate.
            assert_eq!(*accepted.last().unwrap(), rosenbrock(&x).unwrap().0, "{opt}");
            // The plain loss sequence is not monotone: the trials are why curves zig-zag.
            assert!(evaluated.windows(2).any(|w| w[1] > w[0]), "{opt}");
        } else {
            assert_eq!(accepted, evaluated, "{opt}: without a line search every evaluation is an iterate");
        }
    }
}

#[test]
fn a_stopping_rule_ends_every_optimiser_at_the_iterate_it_stopped_on() {
    for opt in ["lbfgs", "lbfgs-nols", "adam", "sgd"] {
        let (mut evaluations, mut accepted) = (0, vec![]);
        let x = Optimizer::parse(opt)
            .unwrap()
            .minimize_marking(
                &start(&[-1.2, 1.0]),
                200,
                &mut |x: &Tensor| {
                    evaluations += 1;
                    rosenbrock(x)
                },
                &mut |loss| {
                    accepted.push(loss);
                    if accepted.len() == 5 {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                },
            )
            .unwrap();
        assert_eq!(accepted.len(), 5, "{opt}: no iterate after the stop");
        assert!(evaluations < 200, "{opt}: the budget was not used up ({evaluations} evaluations)");
        // The picture returned is the one the rule stopped on, not a later or a trial point.
        assert_eq!(rosenbrock(&x).unwrap().0, accepted[4], "{opt}");
    }
}

/// L-BFGS at image size against torch.optim.LBFGS(line_search_fn="strong_wolfe"): chained
/// Rosenbrock in 10 000 dimensions, 30 iterations, history 10 (fixture lbfgs_large.json). Every
/// evaluation's loss (trials included: extrapolation and zoom), and each iteration's accepted loss
/// and step length ‖x_k − x_{k−1}‖, equal torch's.
#[test]
fn lbfgs_follows_torch_at_image_size() {
    let fx: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("lbfgs_large.json")).unwrap()).unwrap();
    let n = fx["n"].as_u64().unwrap() as usize;
    let start: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 } + 0.1 * (i as f64).sin()).collect();
    // f = Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)², gradient by hand.
    let rosenbrock = |x: &[f64]| -> (f64, Vec<f64>) {
        let (mut f, mut g) = (0.0, vec![0.0; x.len()]);
        for i in 0..x.len() - 1 {
            let (a, b) = (x[i + 1] - x[i] * x[i], 1.0 - x[i]);
            f += 100.0 * a * a + b * b;
            g[i] += -400.0 * a * x[i] - 2.0 * b;
            g[i + 1] += 200.0 * a;
        }
        (f, g)
    };
    let lbfgs = Lbfgs {
        history_size: fx["history_size"].as_u64().unwrap() as usize,
        max_iter: fx["max_iter"].as_u64().unwrap() as usize,
        ..Lbfgs::default()
    };
    let (mut evaluated, mut accepted) = (vec![], vec![]);
    lbfgs
        .minimize_marking(
            &Tensor::new(start, &Device::Cpu).unwrap(),
            fx["max_eval"].as_u64().unwrap() as usize,
            &mut |x: &Tensor| {
                let v = x.to_vec1::<f64>()?;
                let (f, g) = rosenbrock(&v);
                evaluated.push((f, v));
                Ok((f, Tensor::new(g, &Device::Cpu)?))
            },
            &mut |loss| {
                accepted.push(loss);
                ControlFlow::Continue(())
            },
        )
        .unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    let want: Vec<f64> = fx["losses"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(evaluated.len(), want.len(), "number of evaluations");
    for (i, ((a, _), b)) in evaluated.iter().zip(&want).enumerate() {
        assert!(close(*a, *b), "evaluation {i}: loss {a} vs torch {b}");
    }
    // The iterates: the start, then the point each line search accepted (its latest evaluation
    // with that loss).
    let searches = fx["line_searches"].as_array().unwrap();
    assert_eq!(accepted.len(), searches.len() + 1, "iterations");
    let point = |loss: f64| &evaluated.iter().rev().find(|(f, _)| *f == loss).unwrap().1;
    for (k, s) in searches.iter().enumerate() {
        let (loss, step) = (s["loss"].as_f64().unwrap(), s["step"].as_f64().unwrap());
        assert!(close(accepted[k + 1], loss), "iteration {k}: accepted loss {} vs torch {loss}", accepted[k + 1]);
        let (x0, x1) = (point(accepted[k]), point(accepted[k + 1]));
        let ours = x0.iter().zip(x1).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
        // Steps along Rosenbrock's flat valley amplify rounding more than losses do (1e-6 seen).
        assert!((ours - step).abs() <= 1e-5 * step, "iteration {k}: step length {ours} vs torch {step}");
    }
}

#[test]
fn adam_with_weight_decay_minimises_the_decayed_objective() {
    // Adam's L2 decay adds wd·x to the gradient: on f = ½(x − 1)² it finds x = 1 / (1 + wd).
    let wd = 0.5;
    let x = Optimizer::Adam(Adam { lr: 0.01, weight_decay: wd, ..Adam::default() })
        .minimize(&start(&[0.0, 3.0]), 3000, &mut |x: &Tensor| {
            let d = (x - 1.0)?;
            Ok((0.5 * d.sqr()?.sum_all()?.to_scalar::<f64>()?, d))
        })
        .unwrap()
        .to_vec1::<f64>()
        .unwrap();
    for xi in x {
        assert!((xi - 1.0 / (1.0 + wd)).abs() < 1e-3, "{xi}");
    }
}

#[test]
fn sgd_moves_no_pixel_more_than_its_cap() {
    // A steep quadratic (gradient 2000·x): plain SGD with lr 0.5 would jump to −999; the cap
    // scales the step so that the largest move is exactly max_step.
    let steep =
        |x: &Tensor| -> Result<(f64, Tensor)> { Ok((1000.0 * x.sqr()?.sum_all()?.to_scalar::<f64>()?, (x * 2000.0)?)) };
    let sgd = SgdDecay { lr: 0.5, decay_rate: 1.0, decay_steps: 1.0, max_step: Some(0.05) };
    let x = Optimizer::Sgd(sgd.clone()).minimize(&start(&[1.0, -0.5]), 1, &mut |x: &Tensor| steep(x)).unwrap();
    let x = x.to_vec1::<f64>().unwrap();
    assert!(
        (x[0] - 0.95).abs() < 1e-12 && (x[1] + 0.475).abs() < 1e-12,
        "largest move 0.05, the other in proportion: {x:?}"
    );
    let x = Optimizer::Sgd(SgdDecay { max_step: None, ..sgd })
        .minimize(&start(&[1.0]), 1, &mut |x: &Tensor| steep(x))
        .unwrap();
    assert_eq!(x.to_vec1::<f64>().unwrap(), vec![-999.0], "without a cap, the plain step");
}

#[test]
fn optimisers_are_named_as_the_command_line_names_them() {
    for (arg, name) in [("lbfgs", "lbfgs"), ("lbfgs-nols", "lbfgs"), ("adam", "adam"), ("sgd", "sgd")] {
        assert_eq!(Optimizer::parse(arg).unwrap().name(), name);
    }
    let o = Optimizer::parse("adam").unwrap().with_lr(0.3);
    assert_eq!(o, Optimizer::Adam(Adam { lr: 0.3, ..Adam::default() }));
}

#[test]
fn adam_follows_torch_step_for_step() {
    let (fx, mut f) = quartic();
    let vec = numbers;
    let runs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("adam.json")).unwrap()).unwrap();
    for run in runs["runs"].as_array().unwrap() {
        let o = &run["options"];
        let get = |k: &str, d: f64| o.get(k).and_then(|v| v.as_f64()).unwrap_or(d);
        let betas = o.get("betas").map(vec).unwrap_or(vec![0.9, 0.999]);
        let adam = Adam {
            lr: get("lr", 1e-3),
            beta1: betas[0],
            beta2: betas[1],
            eps: get("eps", 1e-8),
            weight_decay: get("weight_decay", 0.0),
        };
        let want = vec(&run["losses"]);
        let mut losses = vec![];
        let x = Optimizer::Adam(adam)
            .minimize(&Tensor::new(vec(&fx["start"]), &Device::Cpu).unwrap(), want.len(), &mut |x: &Tensor| {
                let r = f(x)?;
                losses.push(r.0);
                Ok(r)
            })
            .unwrap();
        let name = run["name"].as_str().unwrap();
        assert_eq!(losses.len(), want.len(), "{name}");
        for (i, (a, b)) in losses.iter().zip(&want).enumerate() {
            assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{name}: step {i}: {a} vs torch {b}");
        }
        for (a, b) in x.to_vec1::<f64>().unwrap().iter().zip(vec(&run["final"])) {
            assert!((a - b).abs() < 1e-9, "{name}: final x {a} vs torch {b}");
        }
    }
}

#[test]
fn lbfgs_ends_at_once_at_a_minimum_at_a_stop_on_the_start_and_with_no_iterations() {
    let count = |lbfgs: Lbfgs, from: &[f64], stop_at_once: bool| {
        let mut evals = 0;
        let x = lbfgs
            .minimize_marking(
                &start(from),
                100,
                &mut |x: &Tensor| {
                    evals += 1;
                    rosenbrock(x)
                },
                &mut |_| if stop_at_once { ControlFlow::Break(()) } else { ControlFlow::Continue(()) },
            )
            .unwrap();
        (evals, x.to_vec1::<f64>().unwrap())
    };
    // At the minimum the gradient is 0: one evaluation, the start returned.
    assert_eq!(count(Lbfgs::default(), &[1.0, 1.0], false), (1, vec![1.0, 1.0]));
    // A stopping rule that stops on the start.
    assert_eq!(count(Lbfgs::default(), &[-1.2, 1.0], true), (1, vec![-1.2, 1.0]));
    // No iterations allowed (torch's max_iter = 0).
    assert_eq!(count(Lbfgs { max_iter: 0, ..Lbfgs::default() }, &[-1.2, 1.0], false), (1, vec![-1.2, 1.0]));
    // Three iterations: three accepted steps after the start.
    let mut accepted = 0;
    Lbfgs { max_iter: 3, ..Lbfgs::default() }
        .minimize_marking(&start(&[-1.2, 1.0]), 100, &mut rosenbrock, &mut |_| {
            accepted += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(accepted, 4, "the start and three iterates");
}

/// L-BFGS ends after `max_iter` iterations even with evaluations to spare, as torch's does.
#[test]
fn lbfgs_stops_after_its_iterations_with_evaluations_to_spare() {
    {
        let ls = Some(LineSearch::StrongWolfe);
        let opt = Lbfgs { max_iter: 3, line_search: ls, ..Lbfgs::default() };
        let mut moves = 0;
        opt.minimize_marking(&start(&[-1.2, 1.0]), 1000, &mut rosenbrock, &mut |_| {
            moves += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(moves, 4, "the start and 3 iterations ({ls:?})");
    }
}
