//! The explorer's Web Worker for the reader's page (index.html builds it with Trunk as a worker,
//! `racelab-explorer_loader.js`): the engine and the explorer without the app, so the page
//! itself carries no explorer and a student downloads this only to explore a case table.

fn main() {
    console_error_panic_hook::set_once();
    racelab_web::worker::serve();
}
