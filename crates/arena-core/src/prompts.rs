//! Built-in prompt sets, one per category, written for this project, and the prompt-set file
//! format (`{"id", "name", "category", "prompts": [...]}` — the config's `prompt_sets` entries).

use rand::Rng;

use crate::config::PromptSet;

/// (category, prompts). Short, self-contained tasks that separate strong answers from weak
/// ones without needing tools or the web.
const BUILT_IN: [(&str, &[&str]); 6] = [
    (
        "coding",
        &[
            "Write a Python function that returns the longest palindromic substring of a string, and explain its time complexity.",
            "In Rust, what is the difference between `&str` and `String`? Show when you would use each.",
            "Write a SQL query that finds, for each customer, their most recent order, given tables customers(id, name) and orders(id, customer_id, placed_at).",
            "Explain what this shell command does and what could go wrong: `find . -name '*.log' -mtime +7 | xargs rm`",
            "Implement a debounce function in JavaScript and show a usage example.",
        ],
    ),
    (
        "math",
        &[
            "A train leaves at 14:10 and travels 210 km at 84 km/h. When does it arrive?",
            "Prove that the square root of 2 is irrational.",
            "What is the probability of getting at least one six in four rolls of a fair die?",
            "Solve for x: 3x − 7 = 2(x + 4).",
            "How many ways can 5 different books be arranged on a shelf if two particular books must be next to each other?",
        ],
    ),
    (
        "reasoning",
        &[
            "Alice is older than Bob. Carol is younger than Bob. Dan is older than Alice. Who is the second youngest?",
            "A bat and a ball cost 1.10 in total. The bat costs 1.00 more than the ball. How much does the ball cost? Explain.",
            "If all bloops are razzies and some razzies are lazzies, must some bloops be lazzies? Why or why not?",
            "You have a 3-litre and a 5-litre jug and unlimited water. How do you measure exactly 4 litres?",
            "Three boxes are labelled apples, oranges and mixed, and every label is wrong. You may take one fruit from one box. How do you relabel them correctly?",
        ],
    ),
    (
        "instruction following",
        &[
            "List exactly three benefits of regular exercise, each in under ten words, as a numbered list.",
            "Summarise the plot of Romeo and Juliet in exactly two sentences.",
            "Write a haiku about autumn that does not use the letter 'e'.",
            "Reply with only the word 'yes' or 'no': is 91 a prime number?",
            "Rewrite this sentence in the passive voice and in all lowercase: The committee approved the new budget on Friday.",
        ],
    ),
    (
        "creative writing",
        &[
            "Write the opening paragraph of a mystery novel set in a lighthouse.",
            "Write a short poem from the point of view of a houseplant that is never watered on time.",
            "Describe a thunderstorm to someone who has never heard one, in under 100 words.",
            "Write a two-line dialogue between a dragon and a tax inspector.",
            "Invent a new holiday and describe how people celebrate it.",
        ],
    ),
    (
        "other",
        &[
            "What are good questions to ask at the end of a job interview?",
            "Explain how vaccines train the immune system, for a ten-year-old.",
            "Plan a three-day trip to a city of your choice on a small budget.",
            "What is the difference between weather and climate?",
            "Give me five tips for writing clearer emails.",
        ],
    ),
];

/// The built-in prompt sets.
pub fn built_in() -> Vec<PromptSet> {
    BUILT_IN
        .iter()
        .map(|(category, prompts)| PromptSet {
            id: format!("builtin-{}", category.replace(' ', "-")),
            name: format!("Built-in: {category}"),
            category: Some((*category).to_string()),
            prompts: prompts.iter().map(|p| (*p).to_string()).collect(),
        })
        .collect()
}

/// A random prompt from `sets` (all of them, or only those of `category`), with its category.
pub fn random_prompt<'a, R: Rng + ?Sized>(
    sets: &'a [PromptSet],
    category: Option<&str>,
    rng: &mut R,
) -> Option<(&'a str, Option<&'a str>)> {
    let pool: Vec<(&str, Option<&str>)> = sets
        .iter()
        .filter(|s| category.is_none_or(|c| s.category.as_deref() == Some(c)))
        .flat_map(|s| {
            s.prompts
                .iter()
                .map(|p| (p.as_str(), s.category.as_deref()))
        })
        .collect();
    if pool.is_empty() {
        return None;
    }
    Some(pool[rng.random_range(0..pool.len())])
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromptSetError {
    #[error("not a prompt set file: {0}")]
    Syntax(String),
    #[error("prompt set \"{0}\" has no prompts")]
    Empty(String),
}

/// Reads a prompt-set file: one set object, or an array of them. Blank prompts are dropped.
pub fn parse_prompt_sets(text: &str) -> Result<Vec<PromptSet>, PromptSetError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| PromptSetError::Syntax(e.to_string()))?;
    let mut sets: Vec<PromptSet> = if value.is_array() {
        serde_json::from_value(value)
    } else {
        serde_json::from_value(value).map(|s| vec![s])
    }
    .map_err(|e| PromptSetError::Syntax(e.to_string()))?;
    for s in &mut sets {
        s.prompts.retain(|p| !p.trim().is_empty());
        if s.prompts.is_empty() {
            return Err(PromptSetError::Empty(s.id.clone()));
        }
    }
    Ok(sets)
}

/// Writes prompt sets as a file [`parse_prompt_sets`] reads back.
///
/// # Panics
/// Never: prompt sets are plain strings, which always serialise.
pub fn write_prompt_sets(sets: &[PromptSet]) -> String {
    serde_json::to_string_pretty(sets).expect("prompt sets serialise")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_CATEGORIES;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn every_default_category_has_a_built_in_set() {
        let sets = built_in();
        for c in DEFAULT_CATEGORIES {
            let set = sets
                .iter()
                .find(|s| s.category.as_deref() == Some(c))
                .unwrap();
            assert!(set.prompts.len() >= 5, "{c}");
        }
    }

    #[test]
    fn random_prompts_respect_the_category_and_cover_the_pool() {
        let sets = built_in();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..500 {
            let (p, c) = random_prompt(&sets, Some("math"), &mut rng).unwrap();
            assert_eq!(c, Some("math"));
            seen.insert(p);
        }
        assert_eq!(seen.len(), 5);
        assert_eq!(random_prompt(&sets, Some("nope"), &mut rng), None);
    }

    #[test]
    fn prompt_sets_round_trip_and_bad_files_are_refused() {
        let sets = built_in();
        assert_eq!(parse_prompt_sets(&write_prompt_sets(&sets)).unwrap(), sets);
        let one = r#"{"id":"mine","name":"Mine","prompts":["a"," ","b"]}"#;
        assert_eq!(parse_prompt_sets(one).unwrap()[0].prompts, ["a", "b"]);
        assert!(matches!(
            parse_prompt_sets(r#"{"id":"e","name":"E","prompts":[""]}"#),
            Err(PromptSetError::Empty(_))
        ));
        assert!(matches!(
            parse_prompt_sets("[1]"),
            Err(PromptSetError::Syntax(_))
        ));
    }
}
