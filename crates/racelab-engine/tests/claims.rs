//! docs/claims.md cites replay ids as evidence: every one must replay on a shipped lesson (a
//! lesson or engine change that breaks one fails here, not in a reader's hands).

use racelab_engine::explore::replay_id;
use racelab_engine::{lesson, Lesson};
use std::sync::Arc;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn lessons() -> Vec<Arc<Lesson>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(format!("{ROOT}/lessons")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let slug = path.file_stem().unwrap().to_str().unwrap();
            let l = lesson::parse(slug, &path.display().to_string(), &text).unwrap();
            out.push(Arc::new(l));
        }
    }
    out
}

/// Backquoted words that read as replay ids: `variant:0.1.2x…` or `variant~3:…`.
fn cited_ids(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| {
            let Some((slug, actions)) = w.split_once(':') else {
                return false;
            };
            !slug.is_empty()
                && !actions.is_empty()
                && slug
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '~')
                && actions
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                && replay_id::decode(w).is_ok()
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn every_replay_id_in_the_claims_replays() {
    let text = std::fs::read_to_string(format!("{ROOT}/docs/claims.md")).unwrap();
    let ids = cited_ids(&text);
    assert!(ids.len() >= 20, "claims.md cites {} replay ids", ids.len());
    let lessons = lessons();
    for id in &ids {
        let slug = id.split([':', '~']).next().unwrap();
        let hosts: Vec<&Arc<Lesson>> = lessons
            .iter()
            .filter(|l| l.variant_index(slug).is_some())
            .collect();
        assert!(
            !hosts.is_empty(),
            "`{id}`: no lesson has a variant `{slug}`"
        );
        let errors: Vec<String> = hosts
            .iter()
            .filter_map(|l| replay_id::replay(l, id).err())
            .collect();
        assert!(
            errors.len() < hosts.len(),
            "`{id}` does not replay: {errors:?}"
        );
    }
}
