pub mod assertions;
pub mod db;
pub mod lane;
pub mod trace;
