//! The lesson page's run, shared with its components through Leptos context (as Leptos's
//! todomvc example shares its state): one [`RunHandle`] per page, `Copy`, holding the engine's
//! [`Run`] and the page's error line. Components read views through it and send commands to it;
//! none of them owns the run or re-implements an engine rule.

use leptos::prelude::*;
use racelab_engine::run::Run;

#[derive(Clone, Copy)]
pub struct RunHandle {
    run: RwSignal<Run>,
    error: RwSignal<Option<String>>,
}

impl RunHandle {
    /// Creates the handle for a page and provides it to the page's components.
    pub fn provide(run: Run, error: Option<String>) -> RunHandle {
        let handle = RunHandle {
            run: RwSignal::new(run),
            error: RwSignal::new(error),
        };
        provide_context(handle);
        handle
    }

    /// The handle provided by the enclosing lesson page.
    pub fn use_context() -> RunHandle {
        expect_context::<RunHandle>()
    }

    /// Reads the run (tracked: the caller re-runs when the run changes).
    pub fn with<T>(&self, f: impl FnOnce(&Run) -> T) -> T {
        self.run.with(f)
    }

    /// Reads the run without tracking.
    pub fn with_untracked<T>(&self, f: impl FnOnce(&Run) -> T) -> T {
        self.run.with_untracked(f)
    }

    /// The page's current error line.
    pub fn error(&self) -> Option<String> {
        self.error.get()
    }

    /// Shows a problem in the page's error line.
    pub fn fail(&self, message: String) {
        self.error.set(Some(message));
    }

    /// Applies a command to the run and shows its error (if any) in the page.
    pub fn act(&self, f: impl FnOnce(&mut Run) -> Result<(), String>) {
        let mut outcome = Ok(());
        self.run.update(|r| outcome = f(r));
        self.error.set(outcome.err());
    }

    /// Replaces the run with the execution a replay id names (a case-table row), at its end.
    pub fn replay(&self, id: &str) {
        let lesson = self.run.with_untracked(|r| r.lesson().clone());
        match racelab_engine::explore::replay_id::replay(&lesson, id) {
            Ok(run) => {
                self.run.set(run);
                self.error.set(None);
            }
            Err(e) => self.error.set(Some(format!("Cannot replay {id}: {e}"))),
        }
    }

    pub fn step(&self, client: usize) {
        self.act(|r| r.step(client).map_err(|e| e.to_string()));
    }

    pub fn next_event(&self) {
        self.act(|r| r.next_event().map(|_| ()).map_err(|e| e.to_string()));
    }

    pub fn run_to_end(&self) {
        self.act(|r| r.run_to_end().map_err(|e| e.to_string()));
    }

    pub fn back(&self) {
        self.act(|r| {
            r.back();
            Ok(())
        });
    }

    /// Redoes what Back (or Reset) undid.
    pub fn forward(&self) {
        self.act(|r| r.forward().map(drop).map_err(|e| e.to_string()));
    }

    /// Back to the moment after the first `n` actions (a click on the timeline).
    pub fn go_to(&self, n: usize) {
        self.act(|r| {
            r.go_to(n);
            Ok(())
        });
    }

    pub fn reset(&self) {
        self.act(|r| {
            r.reset();
            Ok(())
        });
    }
}
