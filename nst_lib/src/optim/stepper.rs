//! An optimiser that steps. Each optimiser is one loop (as torch's are); here that loop runs on
//! a thread of its own and waits, before every evaluation, for the run that drives it. So a
//! notebook can run 50 steps in one cell and 50 more in the next and get, bit for bit, the
//! picture of one run of 100: the optimiser's memory (L-BFGS's curvature pairs and the line
//! search in progress, Adam's moments) is kept while it waits, and its arithmetic is the same.
//!
//! The thread only does the optimiser's vector arithmetic; every evaluation (the network, the
//! loss, the observers) runs on the caller's thread, in [`Stepper::request`]'s caller.

use std::ops::ControlFlow;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;

use candle_core::Tensor;

use super::{Driver, Optimizer};
use crate::error::{NstError, Result};

/// What the optimiser asks next.
#[derive(Clone, Debug)]
pub enum Request {
    /// May it evaluate once more? Answer with [`Stepper::more`].
    More,
    /// The loss and gradient at this point: answer with [`Stepper::eval`].
    Eval(Tensor),
    /// It moved to `x`, the point of its `eval`-th evaluation, whose loss is `loss`: answer
    /// with [`Stepper::accepted`] (`Break` ends the run there).
    Accepted { eval: usize, loss: f64, x: Tensor },
    /// It has finished, at this picture (asked for no more, converged, or stopped by a rule).
    Done(Tensor),
}

enum Reply {
    More(bool),
    Eval(Result<(f64, Tensor)>),
    Accepted(ControlFlow<()>),
}

/// An optimiser run that pauses between requests; see the module's documentation.
pub struct Stepper {
    requests: Option<Receiver<Result<Request>>>,
    replies: Option<Sender<Reply>>,
    thread: Option<JoinHandle<()>>,
    /// The request received and not yet answered: it waits across calls (and cells).
    pending: Option<Request>,
}

/// The optimiser's side: each question goes to the driving thread and waits for its answer.
/// If the driver has gone, the optimiser is told to stop: no more evaluations.
struct Remote {
    requests: Sender<Result<Request>>,
    replies: Receiver<Reply>,
}

impl Remote {
    fn ask(&mut self, r: Request) -> Option<Reply> {
        self.requests.send(Ok(r)).ok()?;
        self.replies.recv().ok()
    }
}

impl Driver for Remote {
    fn more(&mut self) -> bool {
        matches!(self.ask(Request::More), Some(Reply::More(true)))
    }
    fn eval(&mut self, x: &Tensor) -> Result<(f64, Tensor)> {
        match self.ask(Request::Eval(x.clone())) {
            Some(Reply::Eval(r)) => r,
            _ => Err(NstError::Stopped("the run driving this optimiser has ended".into())),
        }
    }
    fn accepted(&mut self, eval: usize, loss: f64, x: &Tensor) -> ControlFlow<()> {
        match self.ask(Request::Accepted { eval, loss, x: x.clone() }) {
            Some(Reply::Accepted(c)) => c,
            _ => ControlFlow::Break(()),
        }
    }
}

impl Stepper {
    /// Start `optimizer` from `x0`; it waits for its first answer.
    pub fn start(optimizer: Optimizer, x0: Tensor) -> Result<Self> {
        let (request_tx, request_rx) = channel();
        let (reply_tx, reply_rx) = channel();
        let thread = std::thread::Builder::new()
            .name("nst-optimiser".into())
            .spawn(move || {
                let mut remote = Remote { requests: request_tx, replies: reply_rx };
                let end = optimizer.drive(&x0, &mut remote);
                let _ = remote.requests.send(end.map(Request::Done));
            })
            .map_err(|e| NstError::InvalidConfig(format!("could not start the optimiser's thread: {e}")))?;
        Ok(Self { requests: Some(request_rx), replies: Some(reply_tx), thread: Some(thread), pending: None })
    }

    /// The optimiser's request: the one still unanswered, or the next one (waiting for it).
    /// `Done` stays the answer once given. An error is the optimiser's own (its arithmetic).
    pub fn request(&mut self) -> Result<Request> {
        if let Some(r) = &self.pending {
            return Ok(r.clone());
        }
        let received = self.requests.as_ref().and_then(|rx| rx.recv().ok());
        let r = received.unwrap_or_else(|| Err(NstError::Stopped("the optimiser's thread has ended".into())))?;
        self.pending = Some(r.clone());
        Ok(r)
    }

    /// Answer [`Request::More`].
    pub fn more(&mut self, yes: bool) {
        self.reply(Reply::More(yes));
    }

    /// Answer [`Request::Eval`].
    pub fn eval(&mut self, loss_and_grad: Result<(f64, Tensor)>) {
        self.reply(Reply::Eval(loss_and_grad));
    }

    /// Answer [`Request::Accepted`].
    pub fn accepted(&mut self, go_on: ControlFlow<()>) {
        self.reply(Reply::Accepted(go_on));
    }

    fn reply(&mut self, reply: Reply) {
        if matches!(self.pending, Some(Request::Done(_))) {
            return;
        }
        self.pending = None;
        if let Some(tx) = &self.replies {
            let _ = tx.send(reply); // an optimiser that has ended needs no answer
        }
    }

    /// Let the optimiser finish with what it has evaluated, without evaluating again: every
    /// `More` is answered no and every accepted iterate passed to `on_accepted`. Returns its
    /// final picture. Not for a pending `Eval` (answer it, or drop the stepper).
    pub fn wind_down(&mut self, on_accepted: &mut dyn FnMut(usize, f64, &Tensor)) -> Result<Tensor> {
        loop {
            match self.request()? {
                Request::More => self.more(false),
                Request::Accepted { eval, loss, x } => {
                    on_accepted(eval, loss, &x);
                    self.accepted(ControlFlow::Continue(()));
                }
                Request::Done(x) => return Ok(x),
                Request::Eval(_) => {
                    return Err(NstError::Stopped("the optimiser asked for an evaluation after its last".into()))
                }
            }
        }
    }
}

impl Drop for Stepper {
    /// Hang up: a waiting optimiser is told no more and ends at once.
    fn drop(&mut self) {
        self.replies.take();
        self.requests.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
