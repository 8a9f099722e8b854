//! Text a server wrote (error titles and details, sign-in errors,
//! `error_description`) ends up on the user's terminal, in the log and in
//! the tray's messages. A hostile or broken server could put terminal
//! escapes (`ESC [2J`), carriage returns or bidi overrides in it to forge
//! or hide what the user reads, so every such text goes through
//! [`escape`] before it joins a message; and through [`html`] before it
//! joins a page we serve (the loopback sign-in page). See
//! `docs/reliability.md`, "Hostile servers".

use std::fmt::Write;

/// `s` with every control character (C0, DEL, C1) and every bidi control
/// written as a visible `\u{..}` escape, so the text stays on one line and
/// cannot steer a terminal. Everything else is kept as it is.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || is_bidi_control(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// As [`escape`], keeping line breaks: for whole texts printed to a
/// terminal (a command's output, a failure line), where any server text a
/// message carries (names, ids, reasons) is made harmless at the last step,
/// whatever path it took there.
pub fn escape_lines(s: &str) -> String {
    s.split('\n').map(escape).collect::<Vec<_>>().join("\n")
}

/// Unicode's explicit directional formatting characters (UAX #9): they
/// can reorder what a terminal shows ("Trojan Source").
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}')
}

/// `s` escaped for HTML text and attribute values (and, like [`escape`],
/// without control characters).
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in escape(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_bidi_overrides_become_visible_escapes() {
        let e = escape("bad\u{1b}[2J\r\nnext\u{7f}\u{9b}31m\u{202e}txt.exe 🦀 é");
        assert_eq!(
            e,
            "bad\\u{1b}[2J\\u{d}\\u{a}next\\u{7f}\\u{9b}31m\\u{202e}txt.exe 🦀 é"
        );
        assert!(!e.chars().any(|c| c.is_control()));
    }

    #[test]
    fn whole_outputs_keep_their_lines_and_lose_every_other_control() {
        let e = escape_lines("failed: contacts oro 7: bad\u{1b}[2J\r\nheld: \u{202e}Nora\n");
        assert_eq!(
            e,
            "failed: contacts oro 7: bad\\u{1b}[2J\\u{d}\nheld: \\u{202e}Nora\n"
        );
        assert!(!e.chars().any(|c| c.is_control() && c != '\n'));
    }

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            html("<script>alert('x')</script> & \"q\"\n"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;\\u{a}"
        );
    }
}
