//! HTML bodies as the text a person reads in them, for the tests' own
//! reading of what the fakes hold (Oro keeps event descriptions as HTML,
//! Graph answers HTML bodies when asked to).

/// The text of an HTML fragment or document: what is inside `<body>` when
/// there is one; tags dropped; `<br>` and the ends of block elements
/// (paragraphs, divs, list items, table rows, headings) as line breaks, a
/// raw line break right after one being the same break (HTML collapses it);
/// character references decoded.
pub fn html_text(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let from = lower
        .find("<body")
        .and_then(|i| lower[i..].find('>').map(|j| i + j + 1))
        .unwrap_or(0);
    let to = lower.rfind("</body>").unwrap_or(html.len()).max(from);
    let mut out = String::with_capacity(to - from);
    let mut rest = &html[from..to];
    let mut after_break = false;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            if let Some(close) = rest.find('>') {
                let tag = rest[1..close].trim().to_ascii_lowercase();
                let name: String = tag
                    .trim_start_matches('/')
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect();
                let block_end = tag.starts_with('/')
                    && matches!(
                        name.as_str(),
                        "p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6"
                    );
                after_break = name == "br" || block_end;
                if after_break {
                    out.push('\n');
                }
                rest = &rest[close + 1..];
                continue;
            }
        }
        if c == '&' {
            let reference = rest[1..]
                .find(';')
                .filter(|n| *n <= 10)
                .and_then(|n| reference(&rest[1..1 + n]).map(|ch| (ch, n + 2)));
            if let Some((ch, len)) = reference {
                out.push(ch);
                rest = &rest[len..];
                after_break = false;
                continue;
            }
        }
        if after_break && c == '\n' {
            after_break = false;
            rest = &rest[1..];
            continue;
        }
        if !(after_break && c == '\r') {
            after_break = false;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// A character reference's character (the name between `&` and `;`).
fn reference(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" | "#39" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => {
            let n = name.strip_prefix('#')?;
            let code = match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => n.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::html_text;

    #[test]
    fn breaks_and_references_read_as_text() {
        assert_eq!(html_text("a &amp; b<br>c &lt;d&gt;"), "a & b\nc <d>");
        assert_eq!(html_text("<p>one</p>\n<p>two</p>"), "one\ntwo\n");
        assert_eq!(
            html_text("<html><body><div>x&#233;</div></body></html>"),
            "xé\n"
        );
    }
}
