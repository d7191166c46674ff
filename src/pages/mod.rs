pub mod edit;
pub mod lesson;
pub mod list;
