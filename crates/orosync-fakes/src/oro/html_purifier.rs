//! The HTML clean-up Oro applies to a calendar event's description, on the
//! way in (the description field is an `OroResizeableRichTextType`, whose
//! `SanitizeHTMLTransformer` calls `HtmlTagHelper::sanitize`) and on the way
//! out (`AbstractCalendarEventNormalizer::transformEntity` sanitizes
//! `description` again). `HtmlTagHelper::sanitize` runs HTMLPurifier in the
//! `default` mode of `oro_form.html_purifier_modes`
//! (platform: src/Oro/Bundle/UIBundle/Tools/HtmlTagHelper.php,
//! src/Oro/Bundle/FormBundle/Resources/config/oro/app.yml).
//!
//! Modelled here, as HTMLPurifier does it: text is re-escaped (a bare `&`
//! becomes `&amp;`, a `<` or `>` that opens no tag becomes `&lt;`/`&gt;`,
//! known entities are decoded to characters and special ones escaped
//! again); allowed elements are kept with their allowed attributes, void
//! ones written the HTML way, `<br>` (`HTMLPurifier_HTML5Config` of
//! xemlock/htmlpurifier-html5 sets `HTML.XHTML` false); unknown elements are dropped but their text kept;
//! `script` and `style` are dropped with their content; comments are
//! dropped; unclosed elements are closed; line breaks are kept
//! (`Core.MaintainLineNumbers`). An empty value is returned as it is.
//! Written for the fake on its own: it shares nothing with the client.

/// Elements of the `default` mode (a subset: the ones a description holds)
/// with the attributes kept on each.
const ALLOWED: &[(&str, &[&str])] = &[
    ("a", &["href", "target", "title"]),
    ("b", &[]),
    ("blockquote", &[]),
    ("br", &[]),
    ("div", &["style"]),
    ("em", &[]),
    ("font", &["color"]),
    ("h1", &[]),
    ("h2", &[]),
    ("h3", &[]),
    ("h4", &[]),
    ("h5", &[]),
    ("h6", &[]),
    ("i", &[]),
    ("li", &[]),
    ("ol", &["type"]),
    ("p", &[]),
    ("pre", &[]),
    ("s", &[]),
    ("span", &[]),
    ("strong", &[]),
    ("table", &["border", "width"]),
    ("tbody", &[]),
    ("td", &["colspan", "rowspan"]),
    ("th", &["colspan", "rowspan"]),
    ("thead", &[]),
    ("tr", &[]),
    ("u", &[]),
    ("ul", &["type"]),
];

/// Elements HTMLPurifier removes together with what they contain.
const DROPPED_WITH_CONTENT: &[&str] = &["script", "style", "iframe", "object", "embed"];

const VOID: &[&str] = &["br"];

fn allowed(name: &str) -> Option<&'static [&'static str]> {
    ALLOWED.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
}

fn escape_text(c: char, out: &mut String) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        c => out.push(c),
    }
}

/// The character a known entity stands for (`&name;` without `&` and `;`).
fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// One tag's parts: name (lower case), closing, attributes (name, value).
struct Tag {
    name: String,
    closing: bool,
    attrs: Vec<(String, String)>,
}

fn parse_tag(inner: &str) -> Option<Tag> {
    let (closing, rest) = match inner.strip_prefix('/') {
        Some(r) => (true, r),
        None => (false, inner),
    };
    let rest = rest.trim_end_matches('/');
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut attrs = Vec::new();
    let mut s = rest[name.len()..].trim_start();
    while !s.is_empty() {
        let n: String = s
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '=')
            .collect();
        if n.is_empty() {
            break;
        }
        s = s[n.len()..].trim_start();
        let mut value = String::new();
        if let Some(r) = s.strip_prefix('=') {
            let r = r.trim_start();
            if let Some(q) = r.chars().next().filter(|c| *c == '"' || *c == '\'') {
                let end = r[1..].find(q).map(|i| i + 1).unwrap_or(r.len());
                value = r[1..end].to_string();
                s = r.get(end + 1..).unwrap_or("").trim_start();
            } else {
                let v: String = r.chars().take_while(|c| !c.is_whitespace()).collect();
                s = r[v.len()..].trim_start();
                value = v;
            }
        }
        attrs.push((n.to_ascii_lowercase(), value));
    }
    Some(Tag {
        name,
        closing,
        attrs,
    })
}

fn safe_href(v: &str) -> bool {
    let l = v.trim().to_ascii_lowercase();
    ["http:", "https:", "mailto:", "ftp:", "tel:"]
        .iter()
        .any(|s| l.starts_with(s))
        || !l.contains(':')
}

fn open_tag(tag: &Tag, keep: &[&str], out: &mut String) {
    out.push('<');
    out.push_str(&tag.name);
    for (n, v) in &tag.attrs {
        if !keep.contains(&n.as_str()) || (n == "href" && !safe_href(v)) {
            continue;
        }
        out.push_str(&format!(" {n}=\""));
        for c in v.chars() {
            match c {
                '"' => out.push_str("&quot;"),
                c => escape_text(c, out),
            }
        }
        out.push('"');
    }
    out.push('>');
}

/// The description as Oro stores and answers it.
pub(crate) fn purify(input: &str) -> String {
    if input.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let mut open: Vec<String> = Vec::new();
    let mut i = 0;
    while i < input.len() {
        let rest = &input[i..];
        let c = rest.chars().next().expect("not at the end");
        if c == '&' {
            let ent = rest[1..]
                .find(';')
                .filter(|n| *n <= 10)
                .and_then(|n| entity(&rest[1..1 + n]).map(|ch| (ch, n + 2)));
            match ent {
                Some((ch, len)) => {
                    escape_text(ch, &mut out);
                    i += len;
                }
                None => {
                    out.push_str("&amp;");
                    i += 1;
                }
            }
            continue;
        }
        if c != '<' {
            escape_text(c, &mut out);
            i += c.len_utf8();
            continue;
        }
        if let Some(body) = rest.strip_prefix("<!--") {
            // A comment, up to its end (or the end of the text).
            i += 4 + body.find("-->").map(|n| n + 3).unwrap_or(body.len());
            continue;
        }
        let tag = rest[1..]
            .find('>')
            .and_then(|n| parse_tag(&rest[1..1 + n]).map(|t| (t, n + 2)));
        let Some((tag, len)) = tag else {
            out.push_str("&lt;");
            i += 1;
            continue;
        };
        i += len;
        if DROPPED_WITH_CONTENT.contains(&tag.name.as_str()) {
            if !tag.closing {
                let close = format!("</{}", tag.name);
                let lower = input[i..].to_ascii_lowercase();
                i += match lower.find(&close) {
                    Some(n) => n + input[i + n..].find('>').map(|m| m + 1).unwrap_or(0),
                    None => input.len() - i,
                };
            }
            continue;
        }
        let Some(keep) = allowed(&tag.name) else {
            continue;
        };
        if tag.closing {
            if let Some(pos) = open.iter().rposition(|n| *n == tag.name) {
                for n in open.drain(pos..).rev() {
                    out.push_str(&format!("</{n}>"));
                }
            }
        } else {
            open_tag(&tag, keep, &mut out);
            if !VOID.contains(&tag.name.as_str()) {
                open.push(tag.name.clone());
            }
        }
    }
    for n in open.into_iter().rev() {
        out.push_str(&format!("</{n}>"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::purify;

    #[test]
    fn text_is_escaped_tags_kept_or_dropped_as_oro_does() {
        assert_eq!(purify("Tom & Jerry"), "Tom &amp; Jerry");
        assert_eq!(purify("Tom &amp; Jerry"), "Tom &amp; Jerry");
        assert_eq!(purify("a < b > c"), "a &lt; b &gt; c");
        assert_eq!(purify("<b>bold</b><br/>next"), "<b>bold</b><br>next");
        assert_eq!(purify("line\nbreak"), "line\nbreak");
        assert_eq!(purify("<script>alert(1)</script>ok"), "ok");
        assert_eq!(purify("<blink>x</blink>"), "x");
        assert_eq!(purify("<p onclick=\"x()\">p"), "<p>p</p>");
        assert_eq!(purify("&bogus; &"), "&amp;bogus; &amp;");
        assert_eq!(purify("&#233;&nbsp;"), "é\u{a0}");
        assert_eq!(purify("<!-- note -->x"), "x");
        assert_eq!(purify(""), "");
        // What it answers it answers again unchanged.
        let once = purify("<b>Agenda</b> & <i>notes\n<br>x");
        assert_eq!(purify(&once), once);
    }
}
