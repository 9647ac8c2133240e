//! The battle's parts: the two answers, the vote bar, the prompt composer.

mod answer;
mod composer;
mod direct_chat;
mod load_bar;
mod prompt_library;
mod vote_bar;

pub use answer::AnswerPanel;
pub use composer::Composer;
pub use direct_chat::DirectChat;
pub use load_bar::LoadBar;
pub use prompt_library::PromptLibrary;
pub use vote_bar::VoteBar;
