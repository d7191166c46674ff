//! A service that exists only in the engine's own tests: `timer wait N` waits N virtual
//! milliseconds, then answers with the time it woke at. It proves that service deadlines fire by
//! themselves, in virtual time, through the same machinery every service uses.

use super::api::{
    wrong_service, Call, ConnId, Done, Exec, Fired, LineError, Mode, Reply, Request, Resource,
    Service, ServiceId, ServiceView, Touch, Wait, Wake,
};
use crate::value::Value;
use std::collections::BTreeMap;

pub fn parse(text: &str) -> Result<Call, LineError> {
    let ms = text
        .strip_prefix("wait ")
        .and_then(|n| n.trim().parse::<u64>().ok())
        .ok_or(LineError {
            col: 0,
            message: "a timer line is `timer wait MS`".into(),
        })?;
    Ok(Call {
        request: Request::Timer { wait_ms: ms },
        params: Vec::new(),
        no_values: None,
    })
}

/// Waiting connections and when each wakes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Timer {
    waiting: BTreeMap<ConnId, u64>,
}

fn touch(id: ServiceId, conn: ConnId) -> Touch {
    Touch {
        service: id,
        resource: Resource::Conn(conn),
        mode: Mode::Write,
    }
}

impl Service for Timer {
    fn call(
        &mut self,
        id: ServiceId,
        conn: ConnId,
        request: &Request,
        _: &[Value],
        now: u64,
    ) -> Exec {
        let Request::Timer { wait_ms: ms } = request else {
            return Exec::Done(Done {
                reply: wrong_service("Timer"),
                touches: Vec::new(),
                woken: Vec::new(),
            });
        };
        let until = now + ms;
        self.waiting.insert(conn, until);
        Exec::Blocked {
            wait: Wait::Timer { until },
            touches: vec![touch(id, conn)],
        }
    }

    fn disconnect(&mut self, _: ServiceId, conn: ConnId, _: u64) -> Done {
        self.waiting.remove(&conn);
        Done {
            reply: Reply::Timer(0),
            touches: Vec::new(),
            woken: Vec::new(),
        }
    }

    fn next_deadline(&self) -> Option<u64> {
        self.waiting.values().min().copied()
    }

    fn fire(&mut self, id: ServiceId, now: u64, _: &dyn Fn(ConnId) -> String) -> Fired {
        let due: Vec<ConnId> = self
            .waiting
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(c, _)| *c)
            .collect();
        let mut fired = Fired {
            what: format!("{} wait(s) over", due.len()),
            ..Fired::default()
        };
        for conn in due {
            self.waiting.remove(&conn);
            fired.touches.push(touch(id, conn));
            fired.woken.push(Wake {
                conn,
                reply: Reply::Timer(now),
                touches: vec![touch(id, conn)],
            });
        }
        fired
    }

    fn query(&self, _: &Request) -> Reply {
        Reply::Timer(0)
    }

    fn view(&self, name: &dyn Fn(ConnId) -> String, _now: u64) -> ServiceView {
        ServiceView::Timer(
            self.waiting
                .iter()
                .map(|(c, t)| format!("{} until {t} ms", name(*c)))
                .collect(),
        )
    }
}
