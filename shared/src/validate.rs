//! The protocol's rules for values a client sends. Each check returns a message
//! for people; the daemon answers it as `bad_request`, and clients can check
//! before they send.

/// Longest login, in characters.
pub const LOGIN_MAX: usize = 32;
/// Longest display name, in Unicode scalar values.
pub const NAME_MAX: usize = 64;
/// Longest status text, in Unicode scalar values.
pub const TEXT_MAX: usize = 1000;
/// Longest bio, in Unicode scalar values.
pub const BIO_MAX: usize = 300;
/// Largest page size of a timeline or follow list.
pub const COUNT_MAX: u32 = 200;
/// Default page size of a timeline or follow list.
pub const COUNT_DEFAULT: u32 = 30;

/// A login: 1 to 32 characters of `[A-Za-z0-9_]`.
pub fn login(login: &str) -> Result<(), String> {
    let ok = !login.is_empty()
        && login.len() <= LOGIN_MAX
        && login
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "login {login:?} is not 1 to {LOGIN_MAX} characters of letters, digits and _"
        ))
    }
}

/// Characters that show nothing: white space, zero-width and joiner
/// characters, direction marks and overrides, the byte-order mark, fillers.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}'
            | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E007F}')
}

/// Whether text shows nothing at all.
fn blank(text: &str) -> bool {
    text.chars().all(is_invisible)
}

/// A display name: 1 to 64 characters, not only white space or invisible
/// characters, no control characters.
pub fn name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if blank(name) || len > NAME_MAX {
        return Err(format!(
            "name must be 1 to {NAME_MAX} characters and not blank"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("name must not contain control characters".into());
    }
    Ok(())
}

/// A status text: 1 to 1,000 Unicode scalar values, not only white space or
/// invisible characters; line
/// breaks and tabs are allowed, other control characters are not.
pub fn text(text: &str) -> Result<(), String> {
    let len = text.chars().count();
    if blank(text) {
        return Err("text must not be empty or only invisible characters".into());
    }
    if len > TEXT_MAX {
        return Err(format!("text is {len} characters; the limit is {TEXT_MAX}"));
    }
    if let Some(c) = text
        .chars()
        .find(|&c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(format!(
            "text must not contain the control character U+{:04X}",
            c as u32
        ));
    }
    Ok(())
}

/// A profile's bio: 0 to 300 Unicode scalar values, the character rules of
/// `text` (line breaks and tabs allowed, other control characters not).
pub fn bio(bio: &str) -> Result<(), String> {
    let len = bio.chars().count();
    if len > BIO_MAX {
        return Err(format!("bio is {len} characters; the limit is {BIO_MAX}"));
    }
    if let Some(c) = bio
        .chars()
        .find(|&c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(format!(
            "bio must not contain the control character U+{:04X}",
            c as u32
        ));
    }
    Ok(())
}

/// A location: latitude -90 to 90, longitude -180 to 180.
pub fn location(lat: f64, lon: f64) -> Result<(), String> {
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(format!(
            "location ({lat}, {lon}) is outside lat -90..90, lon -180..180"
        ));
    }
    Ok(())
}

/// A location box `[west, south, east, north]`: inside lon -180..180 and lat
/// -90..90, with west <= east and south <= north.
pub fn location_box(b: &[f64; 4]) -> Result<(), String> {
    let [w, s, e, n] = *b;
    let lon = |x: f64| (-180.0..=180.0).contains(&x);
    let lat = |x: f64| (-90.0..=90.0).contains(&x);
    if !(lon(w) && lon(e) && lat(s) && lat(n)) {
        return Err(format!(
            "location box {b:?} is outside lon -180..180, lat -90..90"
        ));
    }
    if w > e || s > n {
        return Err(format!(
            "location box {b:?} needs west <= east and south <= north"
        ));
    }
    Ok(())
}

/// Location boxes written as a flat list of numbers, four per box
/// (`west,south,east,north`), separated by commas or white space: the HTTP
/// API's `locations`, `roost stream --locations` and the app's `loc:` clause.
/// Every box is checked with [`location_box`].
pub fn location_boxes(text: &str) -> Result<Vec<[f64; 4]>, String> {
    let numbers = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|n| !n.is_empty())
        .map(|n| match n.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(x),
            _ => Err(format!("locations: {n:?} is not a number")),
        })
        .collect::<Result<Vec<f64>, String>>()?;
    if !numbers.len().is_multiple_of(4) {
        return Err("locations take four numbers per box: west,south,east,north".into());
    }
    let boxes: Vec<[f64; 4]> = numbers
        .chunks_exact(4)
        .map(|c| [c[0], c[1], c[2], c[3]])
        .collect();
    boxes.iter().try_for_each(location_box)?;
    Ok(boxes)
}

/// A page size: 1 to 200.
pub fn count(count: u32) -> Result<(), String> {
    if (1..=COUNT_MAX).contains(&count) {
        Ok(())
    } else {
        Err(format!("count must be 1 to {COUNT_MAX}, not {count}"))
    }
}

/// A page number: from 1.
pub fn page(page: u32) -> Result<(), String> {
    if page >= 1 {
        Ok(())
    } else {
        Err("page starts at 1".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins() {
        assert!(login("alice_42").is_ok());
        assert!(login(&"a".repeat(32)).is_ok());
        for bad in ["", "a b", "a-b", "ä", &"a".repeat(33), "bob\n"] {
            assert!(login(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn texts() {
        assert!(text("hello").is_ok());
        assert!(text("two\nlines\tand tab").is_ok());
        assert!(text("数据库 🦀").is_ok());
        assert!(text(&"é".repeat(1000)).is_ok());
        assert!(text(&"é".repeat(1001)).is_err());
        for bad in ["", "  \n", "bell\u{7}", "esc\u{1b}[2J", "c1\u{85}"] {
            assert!(text(bad).is_err(), "{bad:?}");
        }
        for invisible in [
            "\u{200B}",
            "\u{202E}\u{200B}",
            "\u{FEFF} \u{2060}",
            "\u{3164}",
        ] {
            assert!(text(invisible).is_err(), "{invisible:?}");
            assert!(name(invisible).is_err(), "{invisible:?}");
        }
        assert!(text("a\u{200B}b").is_ok(), "visible text may hold them");
        assert!(name("👩\u{200D}💻").is_ok(), "a joined emoji shows");
    }

    #[test]
    fn names_locations_pages() {
        assert!(name("Alice Liddell").is_ok());
        assert!(name(" ").is_err());
        assert!(name("a\u{0}").is_err());
        assert!(location(90.0, -180.0).is_ok());
        assert!(location(90.1, 0.0).is_err());
        assert!(location(0.0, f64::NAN).is_err());
        assert!(count(0).is_err() && count(201).is_err() && count(200).is_ok());
        assert!(page(0).is_err() && page(1).is_ok());
    }

    #[test]
    fn location_boxes_in_every_spelling() {
        let sf = [-122.75, 36.8, -121.75, 37.8];
        assert_eq!(location_boxes("-122.75,36.8,-121.75,37.8"), Ok(vec![sf]));
        assert_eq!(
            location_boxes("-122.75,36.8,-121.75,37.8 0,0,1,1"),
            Ok(vec![sf, [0.0, 0.0, 1.0, 1.0]])
        );
        assert_eq!(
            location_boxes(" 0, 0, 1, 1,2,2,3,3 "),
            Ok(vec![[0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 3.0, 3.0]])
        );
        assert_eq!(location_boxes(""), Ok(vec![]));
        for bad in [
            "1,2,3",
            "a,b,c,d",
            "10,0,5,1",
            "0,0,181,1",
            "0,0,1,inf",
            "0,0,1,NaN",
        ] {
            assert!(location_boxes(bad).is_err(), "{bad:?}");
        }
        assert!(location_box(&[-180.0, -90.0, 180.0, 90.0]).is_ok());
    }
}
