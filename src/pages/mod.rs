#[cfg(feature = "editor")]
pub mod edit;
pub mod lesson;
pub mod list;
