//! Compiled lessons — what the page ships instead of lesson text — are the lessons they came
//! from: the same data, the same runs, the same group-limit forms; and bytes that are not a
//! compiled lesson are refused with a message.

use racelab_engine::explore;
use racelab_engine::{lesson, Lesson};
use std::sync::Arc;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// Every shipped lesson and the benchmark scenario.
fn shipped() -> Vec<Lesson> {
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(format!("{ROOT}/lessons"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths.push(format!("{ROOT}/bench/three-workers.toml").into());
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            let slug = p.file_stem().unwrap().to_str().unwrap();
            lesson::parse(slug, &p.display().to_string(), &text).unwrap()
        })
        .collect()
}

#[test]
fn every_shipped_lesson_decodes_to_the_same_data() {
    let lessons = shipped();
    assert!(lessons.len() >= 10);
    for l in lessons {
        let bytes = l.to_bytes().unwrap();
        let back = Lesson::from_bytes(&bytes).unwrap();
        assert_eq!(format!("{l:?}"), format!("{back:?}"), "{}", l.slug);
        assert_eq!(back.to_bytes().unwrap(), bytes, "{}", l.slug);
    }
}

#[test]
fn a_compiled_lesson_runs_as_the_parsed_one() {
    for l in shipped() {
        let back = Arc::new(Lesson::from_bytes(&l.to_bytes().unwrap()).unwrap());
        let l = Arc::new(l);
        for v in 0..l.variants.len() {
            let mut a = racelab_engine::run::Run::new(l.clone(), v, Default::default());
            let mut b = racelab_engine::run::Run::new(back.clone(), v, Default::default());
            let (ra, rb) = (a.run_to_end(), b.run_to_end());
            assert_eq!(ra, rb, "{} {v}", l.slug);
            assert_eq!(a.trace(), b.trace(), "{} {v}", l.slug);
            assert!(a.world() == b.world(), "{} {v}", l.slug);
            let lines = |r: &racelab_engine::run::Run| -> Vec<String> {
                r.trace().events.iter().map(|e| r.describe(e)).collect()
            };
            assert_eq!(lines(&a), lines(&b), "{} {v}", l.slug);
        }
    }
}

#[test]
fn group_limit_forms_survive_compilation_and_translation() {
    let stampede = shipped()
        .into_iter()
        .find(|l| l.slug == "stampede")
        .unwrap();
    assert!(
        !stampede.forms.is_empty(),
        "stampede's groups are cut to explore"
    );
    let back = Arc::new(Lesson::from_bytes(&stampede.to_bytes().unwrap()).unwrap());
    let v = (0..back.variants.len())
        .find(|&v| back.explore_limit(v).is_some())
        .unwrap();
    let m = explore::model_for(&back, v).unwrap();
    assert!(m.lesson().clients.len() < back.clients.len());
    assert_eq!(m.lesson().limit, back.explore_limit(v));
    // A limit no case table uses was not prepared: an error that names those that were.
    let err = back.bounded(Some(97)).unwrap_err();
    assert!(err.contains("97") && err.contains("all"), "{err}");
}

#[test]
fn translated_forms_speak_the_language_of_their_lesson() {
    // balance-problems has client groups and a Russian translation.
    let l = shipped()
        .into_iter()
        .find(|l| l.slug == "balance-problems")
        .unwrap();
    let back = Lesson::from_bytes(&l.to_bytes().unwrap()).unwrap();
    let t = Arc::new(back.in_language("ru"));
    let v = (0..t.variants.len())
        .find(|&v| t.explore_limit(v).is_some())
        .expect("a variant whose case table cuts a group");
    let cut = t.bounded(t.explore_limit(v)).unwrap();
    assert_eq!(cut.language.as_deref(), Some("ru"));
    assert_eq!(cut.title, t.title);
    assert_ne!(cut.title, back.title);
}

#[test]
fn the_content_hash_is_fnv1a() {
    use racelab_engine::lesson::compiled::content_hash;
    // FNV-1a's published test values.
    assert_eq!(content_hash(b""), "cbf29ce484222325");
    assert_eq!(content_hash(b"a"), "af63dc4c8601ec8c");
    assert_eq!(content_hash(b"foobar"), "85944171f73967e8");
}

#[test]
fn bytes_that_are_not_a_compiled_lesson_are_refused_with_a_message() {
    let l = shipped().into_iter().next().unwrap();
    let bytes = l.to_bytes().unwrap();
    let e = Lesson::from_bytes(b"title = \"a lesson's text\"").unwrap_err();
    assert!(e.contains("not a compiled Racelab lesson"), "{e}");
    for cut in (0..bytes.len()).step_by(61) {
        let e = Lesson::from_bytes(&bytes[..cut]).unwrap_err();
        assert!(
            e.contains("not a compiled") || e.contains("damaged"),
            "{cut}: {e}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    let e = Lesson::from_bytes(&longer).unwrap_err();
    assert!(e.contains("1 bytes after its end"), "{e}");
}
