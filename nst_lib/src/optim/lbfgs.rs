//! L-BFGS with the semantics of `torch.optim.LBFGS` (PyTorch 2.x, `lbfgs.py`), including its
//! first step size, tolerances, history handling and the optional strong-Wolfe line search,
//! so that a run here and a run in the original notebook take the same path.
//!
//! One difference, on purpose: the driver is asked before *every* evaluation, inside the line
//! search too, so a run of N steps costs exactly N loss evaluations (torch checks its budget
//! only between iterations).

use std::collections::VecDeque;
use std::ops::ControlFlow;

use candle_core::Tensor;

use super::{abs_max, abs_sum, dot, Accepted, Driver, Objective};
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LineSearch {
    StrongWolfe,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Lbfgs {
    pub lr: f64,
    /// Iterations (direction updates); each costs one or more evaluations.
    pub max_iter: usize,
    pub tolerance_grad: f64,
    pub tolerance_change: f64,
    pub history_size: usize,
    pub line_search: Option<LineSearch>,
}

impl Default for Lbfgs {
    /// torch's defaults, except: unlimited iterations (the step budget decides) and strong-Wolfe
    /// line search on, because without it L-BFGS can stall or blow up when the loss scale is far
    /// from what lr = 1 suits (see the README, "Loss scale").
    fn default() -> Self {
        Self {
            lr: 1.0,
            max_iter: usize::MAX,
            tolerance_grad: 1e-7,
            tolerance_change: 1e-9,
            history_size: 100,
            line_search: Some(LineSearch::StrongWolfe),
        }
    }
}

/// Evaluates f at x + t·d through the driver, numbering the evaluations.
struct Evaluator<'a> {
    driver: &'a mut dyn Driver,
    evals: usize,
}

impl Evaluator<'_> {
    /// The loss and gradient at x + t·d, and that evaluation's number.
    fn at(&mut self, x: &Tensor, t: f64, d: &Tensor) -> Result<(f64, Tensor, usize)> {
        let xt = (x + (d * t)?)?;
        let (f, g) = self.eval(&xt)?;
        Ok((f, g, self.evals))
    }
    fn eval(&mut self, x: &Tensor) -> Result<(f64, Tensor)> {
        self.evals += 1;
        self.driver.eval(x)
    }
    fn more(&mut self) -> bool {
        self.driver.more()
    }
}

impl Lbfgs {
    pub fn minimize(&self, x0: &Tensor, max_evals: usize, f: &mut Objective) -> Result<Tensor> {
        self.minimize_marking(x0, max_evals, f, &mut |_| ControlFlow::Continue(()))
    }

    /// [`Lbfgs::minimize`], calling `accepted(loss)` with the loss of each iterate the
    /// optimiser moves to (the start included); `Break` ends the run at that iterate. With a
    /// line search the other evaluations are trials.
    pub fn minimize_marking(
        &self,
        x0: &Tensor,
        max_evals: usize,
        f: &mut Objective,
        accepted: &mut Accepted,
    ) -> Result<Tensor> {
        super::Optimizer::Lbfgs(self.clone()).minimize_marking(x0, max_evals, f, accepted)
    }

    /// Minimise from `x0`, evaluating when `driver` allows (see [`Driver`]); told which
    /// evaluation each iterate is, the driver knows the accepted steps from the trials.
    pub fn drive(&self, x0: &Tensor, driver: &mut dyn Driver) -> Result<Tensor> {
        let mut x = x0.clone();
        let mut ev = Evaluator { driver, evals: 0 };
        if !ev.more() {
            return Ok(x);
        }
        let (mut loss, mut g) = ev.eval(&x)?;
        let mut at = ev.evals;
        if ev.driver.accepted(at, loss, &x).is_break() || abs_max(&g)? <= self.tolerance_grad {
            return Ok(x);
        }
        let mut memory = Memory::default();
        let mut d = g.neg()?;
        let mut t = 0.0;
        let mut prev_g: Option<Tensor> = None;
        let mut n_iter = 0;
        while n_iter < self.max_iter {
            n_iter += 1;
            if n_iter > 1 {
                let pg = prev_g.as_ref().expect("set after the first iteration");
                memory.update((&g - pg)?, (&d * t)?, self.history_size)?;
                d = memory.direction(&g)?;
            }
            prev_g = Some(g.clone());
            let prev_loss = loss;
            t = if n_iter == 1 { (1.0f64).min(1.0 / abs_sum(&g)?) * self.lr } else { self.lr };
            let gtd = dot(&g, &d)?;
            if gtd > -self.tolerance_change || !ev.more() {
                break;
            }
            let opt_cond;
            match self.line_search {
                Some(LineSearch::StrongWolfe) => {
                    let start = (loss, g.clone(), at);
                    let (f_new, g_new, t_new, n) = strong_wolfe(&mut ev, &x, t, &d, start, gtd, self.tolerance_change)?;
                    loss = f_new;
                    g = g_new;
                    t = t_new;
                    at = n;
                    x = (&x + (&d * t)?)?;
                    if ev.driver.accepted(at, loss, &x).is_break() {
                        break;
                    }
                    opt_cond = abs_max(&g)? <= self.tolerance_grad;
                }
                None => {
                    x = (&x + (&d * t)?)?;
                    if n_iter == self.max_iter {
                        break;
                    }
                    (loss, g) = ev.eval(&x)?;
                    at = ev.evals;
                    if ev.driver.accepted(at, loss, &x).is_break() {
                        break;
                    }
                    opt_cond = abs_max(&g)? <= self.tolerance_grad;
                }
            }
            if n_iter == self.max_iter || !ev.more() || opt_cond {
                break;
            }
            if abs_max(&d)? * t.abs() <= self.tolerance_change || (loss - prev_loss).abs() < self.tolerance_change {
                break;
            }
        }
        Ok(x)
    }
}

/// L-BFGS's memory of the curvature: the last `history_size` pairs of gradient change y and
/// step s, and the scale of the initial inverse Hessian.
struct Memory {
    old_dirs: VecDeque<Tensor>,
    old_stps: VecDeque<Tensor>,
    ro: VecDeque<f64>,
    h_diag: f64,
}

impl Default for Memory {
    fn default() -> Self {
        Self { old_dirs: VecDeque::new(), old_stps: VecDeque::new(), ro: VecDeque::new(), h_diag: 1.0 }
    }
}

impl Memory {
    /// Keep the pair (y, s) when its curvature y·s is positive, forgetting the oldest if full.
    fn update(&mut self, y: Tensor, s: Tensor, history_size: usize) -> Result<()> {
        let ys = dot(&y, &s)?;
        if ys > 1e-10 {
            if self.old_dirs.len() == history_size {
                self.old_dirs.pop_front();
                self.old_stps.pop_front();
                self.ro.pop_front();
            }
            self.h_diag = ys / dot(&y, &y)?;
            self.old_dirs.push_back(y);
            self.old_stps.push_back(s);
            self.ro.push_back(1.0 / ys);
        }
        Ok(())
    }

    /// The two-loop recursion: d = −H·g.
    fn direction(&self, g: &Tensor) -> Result<Tensor> {
        let k = self.old_dirs.len();
        let mut al = vec![0.0; k];
        let mut q = g.neg()?;
        for i in (0..k).rev() {
            al[i] = dot(&self.old_stps[i], &q)? * self.ro[i];
            q = (q - (&self.old_dirs[i] * al[i])?)?;
        }
        let mut r = (q * self.h_diag)?;
        for (i, al_i) in al.iter().enumerate() {
            let be_i = dot(&self.old_dirs[i], &r)? * self.ro[i];
            r = (r + (&self.old_stps[i] * (al_i - be_i))?)?;
        }
        Ok(r)
    }
}

/// Minimiser of the cubic interpolating (x1, f1, g1) and (x2, f2, g2), clamped to `bounds`.
fn cubic_interpolate(x1: f64, f1: f64, g1: f64, x2: f64, f2: f64, g2: f64, bounds: Option<(f64, f64)>) -> f64 {
    let (lo, hi) = bounds.unwrap_or(if x1 <= x2 { (x1, x2) } else { (x2, x1) });
    let d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2);
    let d2_square = d1 * d1 - g1 * g2;
    if d2_square >= 0.0 {
        let d2 = d2_square.sqrt();
        let min_pos = if x1 <= x2 {
            x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
        } else {
            x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2))
        };
        min_pos.max(lo).min(hi)
    } else {
        (lo + hi) / 2.0
    }
}

/// A point on the search line: step t, its loss, gradient, g·d, and evaluation number.
#[derive(Clone)]
struct Trial {
    t: f64,
    f: f64,
    g: Tensor,
    gtd: f64,
    n: usize,
}

impl Trial {
    fn at(ev: &mut Evaluator, x: &Tensor, t: f64, d: &Tensor) -> Result<Self> {
        let (f, g, n) = ev.at(x, t, d)?;
        let gtd = dot(&g, d)?;
        Ok(Self { t, f, g, gtd, n })
    }
}

const C1: f64 = 1e-4;
const C2: f64 = 0.9;
const MAX_LS: usize = 25;

/// The end of the first phase of the line search.
enum Found {
    /// A step that satisfies the strong Wolfe conditions.
    Step(Trial),
    /// An interval that contains one, and the line search's iteration count so far.
    Bracket([Trial; 2], usize),
}

/// torch's `_strong_wolfe` (c1 = 1e-4, c2 = 0.9, at most 25 evaluations) from `start`, the
/// loss, gradient and evaluation number at `x`. Returns (f, g, t, the number of the evaluation
/// at x + t·d).
fn strong_wolfe(
    ev: &mut Evaluator,
    x: &Tensor,
    t: f64,
    d: &Tensor,
    start: (f64, Tensor, usize),
    gtd: f64,
    tolerance_change: f64,
) -> Result<(f64, Tensor, f64, usize)> {
    let (f, g, n) = start;
    let origin = Trial { t: 0.0, f, g, gtd, n };
    let best = match extrapolate(ev, x, t, d, &origin)? {
        Found::Step(p) => p,
        Found::Bracket(bracket, ls_iter) => zoom(ev, x, d, &origin, bracket, ls_iter, tolerance_change)?,
    };
    Ok((best.f, best.g, best.t, best.n))
}

/// The first phase: from step t, extrapolate until a step satisfies the conditions or an
/// interval is found that contains one (or the budget or MAX_LS ends it).
fn extrapolate(ev: &mut Evaluator, x: &Tensor, t: f64, d: &Tensor, origin: &Trial) -> Result<Found> {
    let (f, gtd) = (origin.f, origin.gtd);
    let mut new = Trial::at(ev, x, t, d)?;
    let mut prev = origin.clone();
    let mut ls_iter = 0;
    loop {
        if ls_iter >= MAX_LS {
            return Ok(Found::Bracket([origin.clone(), new], ls_iter));
        }
        if new.f > f + C1 * new.t * gtd || (ls_iter > 1 && new.f >= prev.f) {
            return Ok(Found::Bracket([prev, new], ls_iter));
        }
        if new.gtd.abs() <= -C2 * gtd {
            return Ok(Found::Step(new));
        }
        if new.gtd >= 0.0 {
            return Ok(Found::Bracket([prev, new], ls_iter));
        }
        if !ev.more() {
            // Out of budget while still extrapolating: keep the better of start and t.
            return Ok(Found::Bracket([origin.clone(), new], ls_iter));
        }
        let min_step = new.t + 0.01 * (new.t - prev.t);
        let max_step = new.t * 10.0;
        let t = cubic_interpolate(prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd, Some((min_step, max_step)));
        prev = std::mem::replace(&mut new, Trial::at(ev, x, t, d)?);
        ls_iter += 1;
    }
}

/// The second phase: shrink the bracket until a step satisfies the strong Wolfe conditions
/// (or the bracket is too narrow to matter: width·|d|∞ below `tolerance_change`, or the budget
/// or MAX_LS ends it); returns its lower end.
fn zoom(
    ev: &mut Evaluator,
    x: &Tensor,
    d: &Tensor,
    origin: &Trial,
    mut b: [Trial; 2],
    mut ls_iter: usize,
    tolerance_change: f64,
) -> Result<Trial> {
    let (f, gtd) = (origin.f, origin.gtd);
    let d_norm = abs_max(d)?;
    let (mut done, mut insuf_progress) = (false, false);
    let order = |b: &[Trial; 2]| if b[0].f <= b[1].f { (0, 1) } else { (1, 0) };
    let (mut low, mut high) = order(&b);
    while !done && ls_iter < MAX_LS && ev.more() {
        if (b[1].t - b[0].t).abs() * d_norm < tolerance_change {
            break;
        }
        let mut t = cubic_interpolate(b[0].t, b[0].f, b[0].gtd, b[1].t, b[1].f, b[1].gtd, None);
        let (bmin, bmax) = (b[0].t.min(b[1].t), b[0].t.max(b[1].t));
        let eps = 0.1 * (bmax - bmin);
        if (bmax - t).min(t - bmin) < eps {
            if insuf_progress || t >= bmax || t <= bmin {
                t = if (t - bmax).abs() < (t - bmin).abs() { bmax - eps } else { bmin + eps };
                insuf_progress = false;
            } else {
                insuf_progress = true;
            }
        } else {
            insuf_progress = false;
        }
        let new = Trial::at(ev, x, t, d)?;
        ls_iter += 1;
        if new.f > f + C1 * t * gtd || new.f >= b[low].f {
            b[high] = new;
            (low, high) = order(&b);
        } else {
            if new.gtd.abs() <= -C2 * gtd {
                done = true;
            } else if new.gtd * (b[high].t - b[low].t) >= 0.0 {
                b[high] = b[low].clone();
            }
            b[low] = new;
        }
    }
    let [b0, b1] = b;
    Ok(if low == 0 { b0 } else { b1 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Budget;

    /// The 1-D functions of tests/fixtures/line_search.json, with their derivatives (`p`: the
    /// parameters of `mix`).
    fn line_function(name: &str, p: &[f64], x: f64) -> (f64, f64) {
        match name {
            "mix" => {
                let (c1, c2, c4, a, w, k, q) = (p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
                let sign = if x > q {
                    1.0
                } else if x < q {
                    -1.0
                } else {
                    0.0
                };
                (
                    c1 * x + c2 * x * x + c4 * x.powi(4) + a * (w * x).sin() + k * (x - q).abs(),
                    c1 + 2.0 * c2 * x + 4.0 * c4 * x.powi(3) + a * w * (w * x).cos() + k * sign,
                )
            }
            "wiggle" => (x * x + 0.5 * (10.0 * x).sin(), 2.0 * x + 5.0 * (10.0 * x).cos()),
            "double_well" => ((x - 3.0).powi(4) - 2.0 * (x - 3.0).powi(2), 4.0 * (x - 3.0).powi(3) - 4.0 * (x - 3.0)),
            "steep" => (x.exp() - 5.0 * x, x.exp() - 5.0),
            "bump" => {
                let e = (-x * x).exp();
                (-x * e + 0.1 * x * x + 0.3 * (3.0 * x).cos(), -e + 2.0 * x * x * e + 0.2 * x - 0.9 * (3.0 * x).sin())
            }
            "ripple" => (x * x + 0.3 * (30.0 * x).sin(), 2.0 * x + 9.0 * (30.0 * x).cos()),
            "sine" => (x.sin(), x.cos()),
            "kink" => (
                2.0 * (x - 1.0).abs() + 0.1 * x,
                2.0 * if x > 1.0 {
                    1.0
                } else if x < 1.0 {
                    -1.0
                } else {
                    0.0
                } + 0.1,
            ),
            _ => panic!("unknown function {name}"),
        }
    }

    /// torch's `_strong_wolfe` on 1-D functions from first steps of 1e-3 to 100 (make_fixtures.py):
    /// the same trial steps, in the same order, and the same result. Covers extrapolation, zoom,
    /// bracket flips and the insufficient-progress rule, which whole L-BFGS runs rarely reach.
    /// (To 1e-7: long extrapolations through sin and exp part from torch's by 1e-8.)
    fn line_searches() -> Vec<serde_json::Value> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/line_search.json");
        let fx: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        fx["searches"].as_array().unwrap().clone()
    }

    fn num(v: &serde_json::Value) -> f64 {
        v.as_f64().unwrap()
    }

    /// Our line search on fixture search `s` with at most `max_evals` evaluations: (loss, step,
    /// the points evaluated, evaluations counted, direction).
    fn search_once(s: &serde_json::Value, max_evals: usize) -> (f64, f64, Vec<f64>, usize, f64) {
        let (f, t, points, evals, d, _) = search_numbered(s, max_evals);
        (f, t, points, evals, d)
    }

    /// [`search_once`] with the number of the evaluation the search returned (0: the start).
    fn search_numbered(s: &serde_json::Value, max_evals: usize) -> (f64, f64, Vec<f64>, usize, f64, usize) {
        let (name, x0, t0) = (s["function"].as_str().unwrap(), num(&s["x0"]), num(&s["t0"]));
        let params: Vec<f64> =
            s.get("params").map(|p| p.as_array().unwrap().iter().map(num).collect()).unwrap_or_default();
        let (f0, g0) = line_function(name, &params, x0);
        let d = -g0;
        let mut points = vec![];
        let mut objective = |x: &Tensor| -> Result<(f64, Tensor)> {
            let v = x.to_vec1::<f64>()?[0];
            points.push(v);
            let (f, g) = line_function(name, &params, v);
            Ok((f, Tensor::new(&[g], x.device())?))
        };
        let mut accepted = |_: f64| ControlFlow::Continue(());
        let mut budget = Budget { f: &mut objective, accepted: &mut accepted, evals: 0, max_evals };
        let mut ev = Evaluator { driver: &mut budget, evals: 0 };
        let dev = candle_core::Device::Cpu;
        let (x, dt, gt) =
            (Tensor::new(&[x0], &dev).unwrap(), Tensor::new(&[d], &dev).unwrap(), Tensor::new(&[g0], &dev).unwrap());
        let (f, _, t, n) =
            strong_wolfe(&mut ev, &x, t0, &dt, (f0, gt, 0), g0 * d, num(&s["tolerance_change"])).unwrap();
        let evals = ev.evals;
        (f, t, points, evals, d, n)
    }

    /// The search says which of its evaluations it returned: the point evaluated there is
    /// x + t·d (the start, number 0, when t = 0), whatever the budget.
    #[test]
    fn strong_wolfe_names_the_evaluation_it_returns() {
        let mut named = 0;
        for s in line_searches() {
            let n_trials = s["trials"].as_array().unwrap().len();
            for k in (1..=n_trials).chain([usize::MAX]) {
                let (_, t, points, _, d, n) = search_numbered(&s, k);
                let x0 = num(&s["x0"]);
                match n {
                    0 => assert_eq!(t, 0.0, "{s}: budget {k}: the start returned with t = {t}"),
                    n => assert_eq!(points[n - 1], x0 + t * d, "{s}: budget {k}: evaluation {n} is not at t = {t}"),
                }
                named += usize::from(n > 0);
            }
        }
        assert!(named > 1000, "{named} searches returned a trial");
    }

    #[test]
    fn strong_wolfe_tries_the_steps_torch_tries() {
        for s in line_searches() {
            let (name, x0, t0) = (s["function"].as_str().unwrap(), num(&s["x0"]), num(&s["t0"]));
            let case =
                format!("{name} {} from x = {x0}, first step {t0}, tolerance {}", s["params"], s["tolerance_change"]);
            let (f, t, points, evals, d) = search_once(&s, usize::MAX);
            let trials: Vec<f64> = s["trials"].as_array().unwrap().iter().map(num).collect();
            assert_eq!(
                evals,
                trials.len(),
                "{case}: evaluations; ours at t = {:?}",
                points.iter().map(|p| (p - x0) / d).collect::<Vec<_>>()
            );
            assert_eq!(evals as u64, s["evals"].as_u64().unwrap(), "{case}: evaluations torch counts");
            for (i, (p, tt)) in points.iter().zip(&trials).enumerate() {
                let want = x0 + tt * d;
                assert!((p - want).abs() <= 1e-7 * want.abs().max(1.0), "{case}: trial {i} at x = {p}, torch {want}");
            }
            assert!((t - num(&s["t"])).abs() <= 1e-7 * t.abs().max(1.0), "{case}: step {t} vs torch {}", s["t"]);
            assert!((f - num(&s["f"])).abs() <= 1e-7 * f.abs().max(1.0), "{case}: loss {f} vs torch {}", s["f"]);
        }
    }

    /// Our one departure from torch: the line search stops at the evaluation budget. Under a
    /// budget of k it makes torch's first k trials and no more, and returns one of them.
    #[test]
    fn strong_wolfe_stops_at_the_budget() {
        let mut cut = 0;
        for s in line_searches() {
            let n = s["trials"].as_array().unwrap().len();
            let (_, _, full, _, _) = search_once(&s, usize::MAX);
            for k in 1..n {
                let (f, t, points, evals, d) = search_once(&s, k);
                assert_eq!((evals, points.len()), (k, k), "{s}: budget {k}");
                assert_eq!(points, full[..k], "{s}: budget {k}");
                let x0 = num(&s["x0"]);
                assert!(t == 0.0 || points.iter().any(|p| (p - (x0 + t * d)).abs() <= 1e-12 * p.abs().max(1.0)));
                let params: Vec<f64> =
                    s.get("params").map(|p| p.as_array().unwrap().iter().map(num).collect()).unwrap_or_default();
                let at = line_function(s["function"].as_str().unwrap(), &params, x0 + t * d).0;
                assert!((f - at).abs() <= 1e-12 * at.abs().max(1.0), "{s}: budget {k}: loss {f}, at its step {at}");
                cut += 1;
            }
        }
        assert!(cut > 1000, "{cut} cut searches");
    }

    #[test]
    fn cubic_interpolation_finds_the_minimum_of_a_cubic() {
        // f(x) = (x - 1)^2 + 0.1 (x-1)^3 near its local minimum at 1.
        let f = |x: f64| (x - 1.0).powi(2) + 0.1 * (x - 1.0).powi(3);
        let g = |x: f64| 2.0 * (x - 1.0) + 0.3 * (x - 1.0).powi(2);
        let m = cubic_interpolate(0.0, f(0.0), g(0.0), 2.0, f(2.0), g(2.0), None);
        assert!((m - 1.0).abs() < 1e-9, "{m}");
        // The same points in the other order (the zoom's bracket can be either way round).
        let m = cubic_interpolate(2.0, f(2.0), g(2.0), 0.0, f(0.0), g(0.0), None);
        assert!((m - 1.0).abs() < 1e-9, "{m}");
        // Another cubic, both orders: f = x³ − 3x has its local minimum at x = 1.
        let (f, g) = (|x: f64| x * x * x - 3.0 * x, |x: f64| 3.0 * x * x - 3.0);
        for (a, b) in [(-0.5, 2.5), (2.5, -0.5)] {
            let m = cubic_interpolate(a, f(a), g(a), b, f(b), g(b), None);
            assert!((m - 1.0).abs() < 1e-9, "from {a} and {b}: {m}");
        }
        // Clamped to the bounds given, and the midpoint when the cubic has no minimum.
        let m = cubic_interpolate(0.0, f(0.0), g(0.0), 2.0, f(2.0), g(2.0), Some((1.5, 3.0)));
        assert_eq!(m, 1.5);
        assert_eq!(cubic_interpolate(0.0, 0.0, 1.0, 1.0, 2.0, 4.0, None), 0.5, "f = x³ + x has no minimum");
    }
}
