//! A lesson's prose (intro, explain, goals) as a small Markdown: paragraphs, `-`/`*` and `1.`
//! lists, ``` fenced code, `>` quotes, `code`, *emphasis*, **strong** and
//! [links](https://…). Lesson text is data, never code: there is no raw HTML (`<b>` is shown as
//! the text `<b>`), and a link goes only to `http(s):`, `mailto:`, a `#fragment` or a relative
//! path; any other target is shown as text. The page renders these blocks as DOM nodes.

/// A block of prose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Para(Vec<Inline>),
    List {
        ordered: bool,
        items: Vec<Vec<Inline>>,
    },
    Code(String),
    Quote(Vec<Inline>),
}

/// A run of text inside a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Code(String),
    Em(Vec<Inline>),
    Strong(Vec<Inline>),
    Link { text: Vec<Inline>, href: String },
}

/// The blocks of a prose text.
pub fn parse(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if t.starts_with("```") {
            let mut code = Vec::new();
            for l in lines.by_ref() {
                if l.trim_start().starts_with("```") {
                    break;
                }
                code.push(l);
            }
            blocks.push(Block::Code(code.join("\n")));
            continue;
        }
        if let Some((ordered, first)) = item(t) {
            let mut items = vec![first.to_string()];
            while let Some(next) = lines.peek() {
                let n = next.trim();
                if n.is_empty() || n.starts_with("```") {
                    break;
                }
                match item(n) {
                    Some((o, rest)) if o == ordered => items.push(rest.to_string()),
                    Some(_) => break,
                    None => {
                        let last = items.last_mut().expect("a list has an item");
                        last.push(' ');
                        last.push_str(n);
                    }
                }
                lines.next();
            }
            let items = items.iter().map(|i| inlines(i)).collect();
            blocks.push(Block::List { ordered, items });
            continue;
        }
        let quote = t.starts_with('>');
        let mut para = vec![t.trim_start_matches('>').trim()];
        while let Some(next) = lines.peek() {
            let n = next.trim();
            if n.is_empty()
                || n.starts_with("```")
                || item(n).is_some()
                || n.starts_with('>') != quote
            {
                break;
            }
            para.push(n.trim_start_matches('>').trim());
            lines.next();
        }
        let body = inlines(&para.join(" "));
        blocks.push(if quote {
            Block::Quote(body)
        } else {
            Block::Para(body)
        });
    }
    blocks
}

/// A list item's marker: `- x`, `* x` (bullets) or `1. x` (numbered).
fn item(line: &str) -> Option<(bool, &str)> {
    if let Some(rest) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
        return Some((false, rest.trim()));
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=3).contains(&digits) {
        if let Some(rest) = line[digits..].strip_prefix(". ") {
            return Some((true, rest.trim()));
        }
    }
    None
}

/// Whether a link may go to `href`.
pub fn safe_href(href: &str) -> bool {
    let lower = href.trim().to_ascii_lowercase();
    let scheme = lower.split_once(':').map(|(s, _)| s);
    match scheme {
        // `a/b:c` and `#x:y` are relative: a colon after a slash or `#` is not a scheme.
        Some(s) if !s.contains(['/', '#', '?']) => {
            matches!(s, "http" | "https" | "mailto")
        }
        _ => !lower.is_empty(),
    }
}

/// The inline runs of one block's text.
pub fn inlines(text: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let flush = |buf: &mut String, out: &mut Vec<Inline>| {
        if !buf.is_empty() {
            out.push(Inline::Text(std::mem::take(buf)));
        }
    };
    // `i` is a byte offset; every marker is ASCII.
    let mut i = 0;
    while let Some(c) = text[i..].chars().next() {
        let rest = &text[i..];
        let next = rest[c.len_utf8()..].chars().next();
        if c == '\\' && next.is_some_and(|n| "\\`*_[]()#<>-".contains(n)) {
            let n = next.unwrap_or_default();
            buf.push(n);
            i += 1 + n.len_utf8();
            continue;
        }
        if c == '`' {
            if let Some(end) = rest[1..].find('`') {
                flush(&mut buf, &mut out);
                out.push(Inline::Code(rest[1..1 + end].to_string()));
                i += end + 2;
                continue;
            }
        }
        if let Some((inner, used, strong)) = emphasis(rest) {
            flush(&mut buf, &mut out);
            let body = inlines(inner);
            out.push(if strong {
                Inline::Strong(body)
            } else {
                Inline::Em(body)
            });
            i += used;
            continue;
        }
        if c == '[' {
            if let Some((label, href, used)) = link(rest) {
                flush(&mut buf, &mut out);
                if safe_href(href) {
                    out.push(Inline::Link {
                        text: inlines(label),
                        href: href.to_string(),
                    });
                } else {
                    out.extend(inlines(label));
                }
                i += used;
                continue;
            }
        }
        buf.push(c);
        i += c.len_utf8();
    }
    flush(&mut buf, &mut out);
    out
}

/// `**x**` or `*x*` at the start of `s`: (x, bytes used, strong). The opening marker is
/// followed and the closing one preceded by a non-space, so `SELECT * FROM` stays text.
fn emphasis(s: &str) -> Option<(&str, usize, bool)> {
    let strong = s.starts_with("**");
    let mark = if strong { "**" } else { "*" };
    let body = s.strip_prefix(mark)?;
    if body.is_empty() || body.starts_with(char::is_whitespace) || body.starts_with('*') {
        return None;
    }
    let mut from = 0;
    while let Some(pos) = body[from..].find(mark) {
        let end = from + pos;
        if body[..end]
            .chars()
            .last()
            .is_some_and(|c| !c.is_whitespace())
        {
            return Some((&body[..end], mark.len() * 2 + end, strong));
        }
        from = end + mark.len();
    }
    None
}

/// `[label](href)` at the start of `s`: (label, href, bytes used).
fn link(s: &str) -> Option<(&str, &str, usize)> {
    let close = s.find("](")?;
    let label = &s[1..close];
    if label.contains('[') || label.contains(']') {
        return None;
    }
    let after = &s[close + 2..];
    let end = after.find(')')?;
    let href = after[..end].trim();
    if href.contains(char::is_whitespace) {
        return None;
    }
    Some((label, href, close + 2 + end + 1))
}

/// The prose as plain text (for the command line and for titles).
pub fn plain(inl: &[Inline]) -> String {
    inl.iter()
        .map(|i| match i {
            Inline::Text(t) | Inline::Code(t) => t.clone(),
            Inline::Em(x) | Inline::Strong(x) => plain(x),
            Inline::Link { text, .. } => plain(text),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Inline::*;

    fn t(s: &str) -> Inline {
        Text(s.into())
    }

    #[test]
    fn paragraphs_lists_code_and_quotes() {
        let b = parse("One line\nand the next.\n\n- a\n- b\n  more\n\n1. x\n2. y\n\n```\nSELECT 1;\n```\n> said");
        assert_eq!(
            b,
            vec![
                Block::Para(vec![t("One line and the next.")]),
                Block::List {
                    ordered: false,
                    items: vec![vec![t("a")], vec![t("b more")]]
                },
                Block::List {
                    ordered: true,
                    items: vec![vec![t("x")], vec![t("y")]]
                },
                Block::Code("SELECT 1;".into()),
                Block::Quote(vec![t("said")]),
            ]
        );
    }

    #[test]
    fn inline_code_emphasis_and_links() {
        assert_eq!(
            inlines("run `SELECT * FROM a` *now*, **twice**: [docs](https://x.org/a_b)"),
            vec![
                t("run "),
                Code("SELECT * FROM a".into()),
                t(" "),
                Em(vec![t("now")]),
                t(", "),
                Strong(vec![t("twice")]),
                t(": "),
                Link {
                    text: vec![t("docs")],
                    href: "https://x.org/a_b".into()
                },
            ]
        );
        // A lone star, snake_case and unclosed markers stay text.
        assert_eq!(
            inlines("SELECT * FROM a_b * 2"),
            vec![t("SELECT * FROM a_b * 2")]
        );
        assert_eq!(inlines("**open"), vec![t("**open")]);
        assert_eq!(inlines(r"\*x\*"), vec![t("*x*")]);
    }

    #[test]
    fn no_raw_html_and_no_unsafe_links() {
        assert_eq!(inlines("<b>bold</b>"), vec![t("<b>bold</b>")]);
        assert_eq!(
            inlines("[click](javascript:alert(1))"),
            vec![t("click"), t(")")]
        );
        assert_eq!(inlines("[x](JavaScript:alert)"), vec![t("x")]);
        assert_eq!(inlines("[x](data:text/html,hi)"), vec![t("x")]);
        for ok in [
            "https://a.b",
            "mailto:a@b.c",
            "#/lesson/x",
            "docs/a.md",
            "a/b:c",
        ] {
            assert!(safe_href(ok), "{ok}");
        }
    }
}
