pub mod assertions;
pub mod explorer;
pub mod goals;
pub mod group;
pub mod lane;
pub mod services;
pub mod trace;
