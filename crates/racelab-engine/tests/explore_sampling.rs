//! Sampling (random and PCT schedules): reproducible from its seed, labelled as a sample,
//! never reporting a case the exhaustive explorer does not find, and its counterexamples
//! replay.

mod common;
use common::cases;
use racelab_engine::explore::sample::{sample, SampleConfig, Sampling};
use racelab_engine::explore::{self, replay_id, Config};
use racelab_engine::fault::Fault;
use racelab_engine::model::Model;
use racelab_engine::property::Verdict;
use racelab_engine::{lesson, Lesson};
use std::collections::BTreeSet;
use std::sync::Arc;

fn lesson() -> Arc<Lesson> {
    let text = include_str!("../../../lessons/lost-update.toml");
    Arc::new(lesson::parse("lost-update", "lost-update.toml", text).expect("lesson parses"))
}

fn cfg() -> Config {
    Config {
        faults: vec![
            Fault::Exit,
            Fault::ExitAfter,
            Fault::Error,
            Fault::Sleep(60_000),
        ],
        ..Config::default()
    }
}

const HOWS: [Sampling; 2] = [Sampling::Random, Sampling::Pct { depth: 3 }];

#[test]
fn a_seed_gives_the_same_table_and_the_table_says_it_is_a_sample() {
    let l = lesson();
    let m = Model::new(l.clone(), 0);
    for how in HOWS {
        let s = SampleConfig {
            how,
            runs: 100,
            seed: 42,
        };
        let a = sample(&m, &cfg(), &s);
        let b = sample(&m, &cfg(), &s);
        assert_eq!(a.rows, b.rows);
        assert_eq!(a.outcomes, b.outcomes);
        assert!(a
            .stopped
            .as_deref()
            .is_some_and(|s| s.starts_with("sampled, not exhaustive: 100 executions")));
        assert_eq!(a.rows.iter().map(|r| r.ok + r.bad).sum::<u64>(), 100);
        let c = sample(&m, &cfg(), &SampleConfig { seed: 43, ..s });
        assert_ne!(cases(&l, &a), BTreeSet::new());
        assert!(c.rows != a.rows || c.outcomes != a.outcomes, "{how:?}");
    }
}

#[test]
fn every_sampled_case_is_one_the_explorer_finds_and_every_counterexample_replays() {
    let l = lesson();
    for v in 0..l.variants.len() {
        let m = Model::new(l.clone(), v);
        let all = cases(&l, &explore::explore(&m, &cfg(), None));
        for how in HOWS {
            let s = SampleConfig {
                how,
                runs: 300,
                seed: 7,
            };
            let r = sample(&m, &cfg(), &s);
            let sampled = cases(&l, &r);
            assert!(
                sampled.is_subset(&all),
                "{how:?}: {:?}",
                sampled.difference(&all)
            );
            assert!(
                sampled.len() * 3 >= all.len(),
                "{how:?}: {} of {}",
                sampled.len(),
                all.len()
            );
            for row in &r.rows {
                let Some(id) = &row.counterexample else {
                    continue;
                };
                let mut run = replay_id::replay(&l, id).expect("replays");
                run.run_to_end().expect("ends");
                assert!(
                    run.verdicts().iter().any(|v| v.verdict == Verdict::Fail),
                    "{id}"
                );
            }
        }
    }
}

#[test]
fn random_schedules_find_the_lost_update_without_a_fault() {
    let l = lesson();
    let m = Model::new(l.clone(), 0);
    let r = sample(
        &m,
        &Config::default(),
        &SampleConfig {
            how: Sampling::Random,
            runs: 50,
            seed: 1,
        },
    );
    let row = &r.rows[0];
    assert!(row.placements.is_empty());
    assert!(row.bad > 0 && row.ok > 0, "{row:?}");
}
