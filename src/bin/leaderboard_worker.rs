//! The data worker's entry point (see `src/worker`): Trunk builds this as a worker module.

fn main() {
    console_error_panic_hook::set_once();
    arena_app::worker::server::run();
}
