pub mod lesson;
pub mod list;
