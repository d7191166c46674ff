//! The browser's localStorage, where the page keeps what a student or author made: won
//! challenges, cached case tables, the editor's draft. Storage may be missing or full (private
//! windows, quotas): reads then find nothing and writes are dropped, never a panic.

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub fn get(key: &str) -> Option<String> {
    storage()?.get_item(key).ok()?
}

/// Stores `value`; false when the browser refused (no storage, quota exceeded).
pub fn set(key: &str, value: &str) -> bool {
    storage().is_some_and(|s| s.set_item(key, value).is_ok())
}

pub fn remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}
