//! The store's state as the page and the command line show it. A leaf.

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CqlView {
    pub tables: Vec<CqlTableView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CqlTableView {
    pub name: String,
    pub columns: Vec<String>,
    /// Each row's cells in column order ("" for a column never written).
    pub rows: Vec<Vec<String>>,
}
