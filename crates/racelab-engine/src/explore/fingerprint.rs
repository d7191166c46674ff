//! A world's fingerprint: 128 bits of two SipHash hashes computed in one pass, what the search
//! keeps of every state instead of the state itself (hash compaction, as SPIN and TLC do). Two
//! different states share a fingerprint with a probability of about n²/2¹²⁹ for n states —
//! below 10⁻²⁶ for a million — and then the search would merge them. With `untimed`, times are
//! left out (see [`crate::model::Model::timeless`]) without cloning the world.

use crate::model::{Status, World};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::mem::discriminant;

pub(super) type Fingerprint = u128;

/// Two independent hashers fed the same bytes.
struct Pair(DefaultHasher, DefaultHasher);

impl Hasher for Pair {
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
        self.1.write(bytes);
    }

    fn finish(&self) -> u64 {
        self.0.finish()
    }
}

pub(super) fn fingerprint(w: &World, untimed: bool) -> Fingerprint {
    let mut second = DefaultHasher::new();
    0x5eed_u64.hash(&mut second);
    let mut h = Pair(DefaultHasher::new(), second);
    if untimed {
        hash_untimed(w, &mut h);
    } else {
        w.hash(&mut h);
    }
    (u128::from(h.0.finish()) << 64) | u128::from(h.1.finish())
}

/// Hashes what [`World::untimed`] keeps: everything but the times.
fn hash_untimed(w: &World, h: &mut impl Hasher) {
    w.clients.len().hash(h);
    for c in &w.clients {
        c.pc.hash(h);
        c.vars.hash(h);
        discriminant(&c.status).hash(h);
        match &c.status {
            Status::Blocked { service, wait, .. } => (service, wait).hash(h),
            other => other.hash(h),
        }
        c.done_lines.hash(h);
        c.fired.hash(h);
        c.retries.hash(h);
        c.lose_reply.hash(h);
        c.sleeping_until.is_some().hash(h);
        c.finished_at.is_some().hash(h);
    }
    w.services.len().hash(h);
    for s in &w.services {
        if s.keeps_times() {
            let mut s = s.clone();
            s.forget_times();
            s.hash(h);
        } else {
            s.hash(h);
        }
    }
    w.health.hash(h);
    w.violations.len().hash(h);
    for (i, (_, detail)) in &w.violations {
        (i, detail).hash(h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson;
    use crate::model::{Action, Model};
    use std::sync::Arc;

    #[test]
    fn untimed_fingerprints_ignore_time_and_only_time() {
        let text = include_str!("../../../../lessons/lost-update.toml");
        let l = Arc::new(lesson::parse("lu", "lu.toml", text).expect("lesson"));
        let m = Model::new(l, 0);
        let w = m.init();
        let (a, _) = m.next_state(&w, &Action::Step(0)).expect("step");
        let mut later = a.clone();
        later.now += 40;
        later.clients[0].clock += 40;
        assert_ne!(fingerprint(&a, false), fingerprint(&later, false));
        assert_eq!(fingerprint(&a, true), fingerprint(&later, true));
        assert_eq!(fingerprint(&a, true), fingerprint(&a.untimed(), true));
        assert_ne!(fingerprint(&w, true), fingerprint(&a, true));
        let (b, _) = m.next_state(&w, &Action::Step(1)).expect("step");
        assert_ne!(fingerprint(&a, true), fingerprint(&b, true));
    }
}
