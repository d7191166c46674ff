//! Lessons compiled ahead of time. The page ships its lessons as bytes made at build time
//! ([`Lesson::to_bytes`], postcard), so a reader's download holds neither the TOML reader nor
//! the SQL parser nor the lesson checks: [`Lesson::from_bytes`] only decodes. The bytes hold
//! everything a run, a case table and a translation need; not the lesson's text.
//!
//! The format is the engine's own data, not a stable file format: bytes are read by the engine
//! that wrote them (the build compiles the lessons with the same engine it links). The header
//! names the format so that bytes from elsewhere are refused with a message, not misread.

use super::Lesson;

/// The first bytes of every compiled lesson.
const MAGIC: &[u8] = b"racelab-lesson/1\n";

impl Lesson {
    /// The lesson as bytes for [`Lesson::from_bytes`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        postcard::to_extend(self, MAGIC.to_vec())
            .map_err(|e| format!("the lesson could not be compiled to bytes: {e}"))
    }

    /// A lesson from [`Lesson::to_bytes`]. Errors say what is wrong with the bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Lesson, String> {
        let body = bytes
            .strip_prefix(MAGIC)
            .ok_or("these bytes are not a compiled Racelab lesson (or one of another format)")?;
        let (lesson, rest) = postcard::take_from_bytes::<Lesson>(body)
            .map_err(|e| format!("a compiled lesson is damaged: {e}"))?;
        if !rest.is_empty() {
            return Err(format!(
                "a compiled lesson is damaged: {} bytes after its end",
                rest.len()
            ));
        }
        Ok(lesson)
    }
}

/// A hash of compiled bytes (FNV-1a, 64 bits, as 16 hex digits): what names a shipped lesson's
/// file, so that a new version gets a new name, and what tells a page that fetched bytes are the
/// ones it was built with.
pub fn content_hash(bytes: &[u8]) -> String {
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{h:016x}")
}

/// A list of shared values (the scripts of a variant's clients: a group of 100 clients runs one
/// script) written once each: the distinct values, then each item's index among them. Reading
/// it back shares them again, as the compiler did.
pub(crate) mod shared {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::sync::Arc;

    pub fn serialize<T: Serialize, S: Serializer>(
        items: &[Arc<T>],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut distinct: Vec<&Arc<T>> = Vec::new();
        let mut index = Vec::with_capacity(items.len());
        for item in items {
            let at = match distinct.iter().position(|d| Arc::ptr_eq(d, item)) {
                Some(i) => i,
                None => {
                    distinct.push(item);
                    distinct.len() - 1
                }
            };
            index.push(at as u32);
        }
        let distinct: Vec<&T> = distinct.into_iter().map(|d| &**d).collect();
        (distinct, index).serialize(s)
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<Arc<T>>, D::Error> {
        let (distinct, index): (Vec<T>, Vec<u32>) = Deserialize::deserialize(d)?;
        let distinct: Vec<Arc<T>> = distinct.into_iter().map(Arc::new).collect();
        index
            .into_iter()
            .map(|i| {
                distinct.get(i as usize).cloned().ok_or_else(|| {
                    serde::de::Error::custom(format!("script {i} of {}", distinct.len()))
                })
            })
            .collect()
    }
}
