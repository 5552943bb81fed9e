//! Text made safe and measured for a terminal: control, bidi and separator
//! characters never reach the terminal raw; lines wrap by display width (CJK
//! and emoji are two columns, combining marks none); times read "2m", "3h".

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Replaces what a terminal would interpret: C0/C1 controls (a tab becomes a
/// space; a line break is kept only when `keep_newlines`), bidi overrides and
/// isolates, and line/paragraph separators (as line breaks).
pub fn sanitize(text: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\u{2028}' | '\u{2029}' if keep_newlines => out.push('\n'),
            '\n' | '\u{2028}' | '\u{2029}' | '\t' => out.push(' '),
            '\u{200E}'
            | '\u{200F}'
            | '\u{061C}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}' => {}
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Display width of a string in terminal columns.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// Wraps sanitized text to `max` columns, breaking after spaces where it can
/// and inside a word (or between CJK characters) where it must.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_width = 0;
        let mut last_space: Option<usize> = None;
        for c in paragraph.chars() {
            let w = c.width().unwrap_or(0);
            if w == 0 && !line.is_empty() {
                // A zero-width character can widen what it follows (U+FE0F
                // makes `*` an emoji): measure the line as the terminal will.
                line.push(c);
                line_width = width(&line);
                if line_width > max {
                    // The grown character moves to the next line with it.
                    line.pop();
                    let last = line.pop().unwrap_or(c);
                    lines.push(std::mem::take(&mut line));
                    line.push(last);
                    line.push(c);
                    line_width = width(&line);
                    last_space = None;
                }
                continue;
            }
            if c == ' ' && line_width + w > max {
                // A space at the edge ends the line and is not carried over.
                lines.push(std::mem::take(&mut line));
                line_width = 0;
                last_space = None;
                continue;
            }
            if line_width + w > max && !line.is_empty() {
                match last_space {
                    Some(at) if at > 0 => {
                        let rest = line.split_off(at);
                        lines.push(line.trim_end().to_owned());
                        line = rest.trim_start().to_owned();
                    }
                    _ => lines.push(std::mem::take(&mut line)),
                }
                line_width = width(&line);
                last_space = None;
                // What was carried over may still leave no room.
                if line_width + w > max && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_width = 0;
                }
            }
            line.push(c);
            line_width += w;
            if c == ' ' {
                last_space = Some(line.len());
            }
        }
        lines.push(line);
    }
    lines
}

/// Cuts a string to at most `max` columns, with "…" when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if width(text) <= max {
        return text.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    // Measured as a whole, as the terminal will: a string's width is not
    // always the sum of its characters' (line breaks, emoji sequences).
    let mut out = String::new();
    for c in text.chars() {
        out.push(c);
        if width(&out) + 1 > max {
            out.pop();
            break;
        }
    }
    out.push('…');
    out
}

/// "now", "45s", "12m", "3h", "5d", then "2026-11-26".
pub fn relative(posted: &str, now_ms: i64) -> String {
    let Some(then) = roost_shared::time::parse_millis(posted) else {
        return posted.to_owned();
    };
    let secs = (now_ms - then).max(0) / 1000;
    match secs {
        0..=4 => "now".into(),
        5..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m", secs / 60),
        3600..=86_399 => format!("{}h", secs / 3600),
        86_400..=2_591_999 => format!("{}d", secs / 86_400),
        _ => posted.get(..10).unwrap_or(posted).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_raw_reaches_the_terminal() {
        let evil = "a\u{1b}[2Jb\u{7}c\u{202E}d\u{2066}e\u{2028}f\tg\u{85}h";
        let clean = sanitize(evil, true);
        assert_eq!(clean, "a\u{FFFD}[2Jb\u{FFFD}cde\nf g\u{FFFD}h");
        assert!(!clean.chars().any(|c| c.is_control() && c != '\n'));
        assert_eq!(sanitize("one\ntwo", false), "one two");
    }

    #[test]
    fn wraps_by_display_width() {
        assert_eq!(wrap("hello world again", 11), ["hello world", "again"]);
        assert_eq!(wrap("数据库数据库", 5), ["数据", "库数", "据库"]);
        assert!(wrap("数据库数据库", 5).iter().all(|l| width(l) <= 5));
        assert_eq!(wrap("🦀🦀🦀", 4), ["🦀🦀", "🦀"]);
        assert_eq!(
            wrap("e\u{301}e\u{301}e\u{301}", 2),
            ["e\u{301}e\u{301}", "e\u{301}"]
        );
        assert_eq!(wrap("averyveryverylongword", 5).len(), 5);
        assert_eq!(wrap("two\nlines", 20), ["two", "lines"]);
        assert_eq!(truncate("数据库数据库", 5), "数据…");
    }

    #[test]
    fn relative_times() {
        let posted = "2026-11-26T21:50:00.000Z";
        let t = roost_shared::time::parse_millis(posted).unwrap();
        assert_eq!(relative(posted, t + 1000), "now");
        assert_eq!(relative(posted, t + 120_000), "2m");
        assert_eq!(relative(posted, t + 3 * 3_600_000), "3h");
        assert_eq!(relative(posted, t + 2 * 86_400_000), "2d");
        assert_eq!(relative(posted, t + 90 * 86_400_000), "2026-11-26");
    }

    #[test]
    fn fuzz_sanitize_wrap_and_truncate() {
        use proptest::prelude::*;
        use roost_tests::fuzz::regex;
        let text = prop_oneof![
            regex("\\PC{0,80}"),
            regex(".{0,80}"),
            regex("[\u{0}-\u{9f}\u{2028}\u{202e}\u{2066}a 数🦀*\u{fe0f}\n\t]{0,60}")
        ];
        roost_tests::fuzz::fuzz(
            "sanitize",
            (text, any::<bool>(), 1usize..50),
            |(raw, keep, max)| {
                let clean = sanitize(&raw, keep);
                for c in clean.chars() {
                    prop_assert!(
                        !c.is_control() || (keep && c == '\n'),
                        "{:?} left in {:?}",
                        c,
                        clean
                    );
                    let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}');
                    prop_assert!(!bidi, "a bidi control left in {:?}", clean);
                }
                for line in wrap(&clean, max) {
                    // Only a single character wider than the columns stands out.
                    let visible = line.chars().filter(|c| c.width().unwrap_or(0) > 0).count();
                    prop_assert!(
                        width(&line) <= max || visible <= 1,
                        "{:?} wider than {}",
                        line,
                        max
                    );
                }
                prop_assert!(width(&truncate(&clean, max)) <= max);
                Ok(())
            },
        );
    }
}
