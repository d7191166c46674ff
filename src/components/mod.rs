pub mod assertions;
pub mod lane;
pub mod services;
pub mod trace;
