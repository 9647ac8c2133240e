//! The local-model worker's entry point (see `src/llm`): Trunk builds this as a worker module,
//! the only one that links the engine.

fn main() {
    console_error_panic_hook::set_once();
    arena_app::llm::server::run();
}
