//! Model output as safe HTML.
//!
//! Answers are untrusted text. They are parsed as CommonMark (with tables, strikethrough and
//! task lists) by `pulldown-cmark`, and the event stream is filtered before it becomes HTML:
//!
//! - raw HTML, block or inline, is turned into text, so it is shown escaped, never parsed;
//! - links keep only `http:`, `https:` and `mailto:` targets, open in a new tab with
//!   `rel="noopener noreferrer nofollow"`; any other target (`javascript:`, `data:`, relative
//!   paths) leaves the link text as plain text;
//! - images are never loaded (a remote image would tell its host who read the answer): they
//!   become a link to the image, under the same rules.
//!
//! The output is therefore safe to assign to `innerHTML`; nothing else in the app does so.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};

/// Renders untrusted Markdown to sanitised HTML.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    // Whether each open link/image was rendered as an anchor, to close it the same way.
    let mut open: Vec<bool> = Vec::new();
    let events = Parser::new_ext(markdown, options).filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Link { dest_url, .. }) => {
            let safe = is_safe_url(&dest_url);
            open.push(safe);
            safe.then(|| Event::InlineHtml(anchor(&dest_url).into()))
        }
        Event::Start(Tag::Image { dest_url, .. }) => {
            let safe = is_safe_url(&dest_url);
            open.push(safe);
            Some(if safe {
                Event::InlineHtml(format!("{}🖼 ", anchor(&dest_url)).into())
            } else {
                Event::Text(CowStr::Borrowed("🖼 "))
            })
        }
        Event::End(TagEnd::Link | TagEnd::Image) => open
            .pop()
            .unwrap_or(false)
            .then_some(Event::InlineHtml(CowStr::Borrowed("</a>"))),
        other => Some(other),
    });
    html::push_html(&mut out, events);
    out
}

fn anchor(url: &str) -> String {
    // `escape_href` percent-encodes what a URL may not hold and HTML-escapes `&` and `'`,
    // which is what a double-quoted attribute needs.
    let mut attr = String::with_capacity(url.len());
    pulldown_cmark_escape::escape_href(&mut attr, url).expect("writing to a String");
    format!(r#"<a href="{attr}" target="_blank" rel="noopener noreferrer nofollow">"#)
}

fn is_safe_url(url: &str) -> bool {
    let lower: String = url
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .take(8)
        .flat_map(char::to_lowercase)
        .collect();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
}

#[cfg(test)]
mod tests {
    use super::render;

    fn check(markdown: &str, expected: &str) {
        assert_eq!(render(markdown).trim_end(), expected, "for {markdown:?}");
    }

    #[test]
    fn ordinary_markdown_renders() {
        check(
            "**bold** and *it*",
            "<p><strong>bold</strong> and <em>it</em></p>",
        );
        check(
            "```rust\nfn main() {}\n```",
            "<pre><code class=\"language-rust\">fn main() {}\n</code></pre>",
        );
        check("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>");
        check(
            "| x | y |\n|---|---|\n| 1 | 2 |",
            "<table><thead><tr><th>x</th><th>y</th></tr></thead><tbody>\n<tr><td>1</td><td>2</td></tr>\n</tbody></table>",
        );
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        check(
            "<script>alert(1)</script>",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
        );
        check(
            "hi <img src=x onerror=alert(1)> there",
            "<p>hi &lt;img src=x onerror=alert(1)&gt; there</p>",
        );
        check("<b>x</b>", "<p>&lt;b&gt;x&lt;/b&gt;</p>");
    }

    #[test]
    fn only_web_links_become_anchors() {
        check(
            "[site](https://example.org/a?b=1&c=\"2\")",
            "<p><a href=\"https://example.org/a?b=1&amp;c=%222%22\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">site</a></p>",
        );
        check("[x](javascript:alert(1))", "<p>x</p>");
        check("[x]( JaVaScRiPt:alert(1))", "<p>x</p>");
        check(
            "[x](java\tscript:alert(1))",
            "<p>[x](java\tscript:alert(1))</p>",
        );
        check("[x](data:text/html,hi)", "<p>x</p>");
        check("[x](/relative)", "<p>x</p>");
        check("<javascript:alert(1)>", "<p>javascript:alert(1)</p>");
    }

    #[test]
    fn images_are_never_loaded() {
        let html = render("![cat](https://example.org/cat.png)");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains(r#"<a href="https://example.org/cat.png""#),
            "{html}"
        );
        check("![x](javascript:alert(1))", "<p>🖼 x</p>");
    }

    #[test]
    fn nested_and_unbalanced_input_stays_well_formed() {
        let html = render("[a [b](javascript:x) c](https://ok.example)");
        assert_eq!(
            html.matches("<a ").count(),
            html.matches("</a>").count(),
            "{html}"
        );
        let html = render("[**x**](https://ok.example) <div>");
        assert!(html.contains("&lt;div&gt;"), "{html}");
    }
}
