pub mod assertions;
pub mod explorer;
pub mod lane;
pub mod services;
pub mod trace;
