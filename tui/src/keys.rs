//! Key bindings: one table that the app looks keys up in and the `?` help
//! overlay is drawn from, remappable in `config.toml` (`[keys]`, an action's
//! name to a list of keys such as `"j"`, `"Down"`, `"Ctrl-d"`).

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

/// What a key asks for, outside text entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    NextPane,
    Open,
    Back,
    Quit,
    Help,
    Compose,
    Delete,
    ToggleFollow,
    Author,
    Profile,
    Followers,
    Following,
    EditFilter,
    Refresh,
    Reply,
    Repost,
    Like,
    Thread,
    Tag,
    Mentions,
    Likes,
    Trending,
    Notifications,
    Importance,
    ToggleBlock,
    ToggleMute,
    Requests,
    Approve,
    Deny,
    Messages,
    Settings,
    Report,
    Moderation,
    Hide,
    Suspend,
    Dismiss,
    ModerationLog,
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct Binding {
    pub command: Command,
    pub keys: Vec<String>,
    pub help: &'static str,
}

fn row(command: Command, keys: &[&str], help: &'static str) -> Binding {
    Binding {
        command,
        keys: keys.iter().map(|k| k.to_string()).collect(),
        help,
    }
}

/// The default table, in the order the help overlay lists it.
pub fn defaults() -> Vec<Binding> {
    use Command::*;
    vec![
        row(Down, &["j", "Down"], "next status or user"),
        row(Up, &["k", "Up"], "previous status or user"),
        row(PageDown, &["Ctrl-d", "PageDown"], "page down"),
        row(PageUp, &["Ctrl-u", "PageUp"], "page up"),
        row(Top, &["g", "Home"], "newest (marks the timeline read)"),
        row(Bottom, &["G", "End"], "oldest loaded"),
        row(
            NextPane,
            &["Tab"],
            "next pane: home, notifications, stream, more",
        ),
        row(Open, &["Enter", "l"], "open the selected user's profile"),
        row(Author, &["a"], "open the selected status's author"),
        row(Profile, &["@"], "open a profile by login"),
        row(Followers, &["F"], "followers of the profile (or yours)"),
        row(Following, &["W"], "whom the profile (or you) follows"),
        row(ToggleFollow, &["f"], "follow or unfollow the profile"),
        row(
            Compose,
            &["c", "n"],
            "compose a status (Ctrl-s sends, Esc cancels)",
        ),
        row(Delete, &["d"], "delete your selected status"),
        row(Reply, &["R"], "reply to the selected status (quoted above)"),
        row(
            Repost,
            &["b"],
            "repost the selected status, or take it back",
        ),
        row(Like, &["s"], "like the selected status, or take it back"),
        row(Thread, &["t"], "open the selected status's thread"),
        row(
            Tag,
            &["#"],
            "a tag's timeline (the selected status's first)",
        ),
        row(Mentions, &["m"], "statuses that mention you"),
        row(Likes, &["L"], "statuses the profile (or you) liked"),
        row(Trending, &["T"], "trending tags (Enter opens one)"),
        row(
            Notifications,
            &["N"],
            "your notifications (Tab reaches them too)",
        ),
        row(Importance, &["i"], "home by importance or newest first"),
        row(ToggleBlock, &["B"], "block or unblock the profile"),
        row(ToggleMute, &["M"], "mute or unmute the profile"),
        row(
            Requests,
            &["Q"],
            "who asks to follow you (y approves, x denies)",
        ),
        row(Approve, &["y"], "approve the selected follow request"),
        row(Deny, &["x"], "deny the selected follow request"),
        row(
            Messages,
            &["D"],
            "direct messages (c writes, Enter opens one)",
        ),
        row(Settings, &["E"], "edit your name, bio and privacy"),
        row(Report, &["!"], "report the selected status or the profile"),
        row(
            Moderation,
            &["O"],
            "operators: open reports and the audit log",
        ),
        row(
            Hide,
            &["H"],
            "operators: hide or unhide the reported status",
        ),
        row(
            Suspend,
            &["Z"],
            "operators: suspend or reinstate the account",
        ),
        row(Dismiss, &["X"], "operators: dismiss the selected report"),
        row(ModerationLog, &["v"], "operators: reports or the audit log"),
        row(EditFilter, &["e", "/"], "edit the stream filter"),
        row(Refresh, &["r"], "re-read the current pane"),
        row(Help, &["?"], "this help"),
        row(Back, &["Esc", "h"], "back"),
        row(Quit, &["q"], "back, or quit at the top"),
    ]
}

impl Command {
    /// The action's name in `config.toml` (`page_down`).
    pub fn config_name(self) -> String {
        let mut name = String::new();
        for (i, c) in format!("{self:?}").chars().enumerate() {
            if c.is_uppercase() && i > 0 {
                name.push('_');
            }
            name.extend(c.to_lowercase());
        }
        name
    }
}

/// The keys and the config file, for `roost(1)`: the same table as the help
/// overlay.
pub fn manual() -> String {
    let mut text = String::from("KEYS (in the app; ? shows them too):\n");
    for b in defaults() {
        text.push_str(&format!(
            "  {:<18} {:<16} {}\n",
            b.keys.join(", "),
            b.command.config_name(),
            b.help
        ));
    }
    text.push_str(
        "\nCONFIG FILE: ~/.config/roost/config.toml remaps keys by action name, and\n\
         says how a mention or reply arriving is told (both off by default):\n\n  \
         [keys]\n  down = [\"j\", \"Down\", \"Ctrl-n\"]\n  compose = [\"c\"]\n\n  \
         [notify]\n  bell = true      # the terminal bell\n  \
         desktop = true   # a desktop notification (OSC 9)\n\n\
         NO_COLOR turns colours off. ROOST_SOCKET names the daemon's socket.\n",
    );
    text
}

/// A key as written in the table and in `config.toml`.
pub fn parse_key(text: &str) -> Option<KeyEvent> {
    let (mods, name) = match text.strip_prefix("Ctrl-") {
        Some(rest) => (KeyModifiers::CONTROL, rest),
        None => match text.strip_prefix("Alt-") {
            Some(rest) => (KeyModifiers::ALT, rest),
            None => (KeyModifiers::NONE, text),
        },
    };
    let code = match name {
        "Enter" => KeyCode::Enter,
        "Esc" => KeyCode::Esc,
        "Tab" => KeyCode::Tab,
        "BackTab" => KeyCode::BackTab,
        "Up" => KeyCode::Up,
        "Down" => KeyCode::Down,
        "Left" => KeyCode::Left,
        "Right" => KeyCode::Right,
        "PageUp" => KeyCode::PageUp,
        "PageDown" => KeyCode::PageDown,
        "Home" => KeyCode::Home,
        "End" => KeyCode::End,
        "Space" => KeyCode::Char(' '),
        "Backspace" => KeyCode::Backspace,
        single if single.chars().count() == 1 => KeyCode::Char(single.chars().next()?),
        _ => return None,
    };
    Some(KeyEvent::new(code, mods))
}

/// Keys to commands.
#[derive(Debug, Clone)]
pub struct KeyMap {
    pub table: Vec<Binding>,
    lookup: HashMap<(KeyCode, KeyModifiers), Command>,
}

impl Default for KeyMap {
    fn default() -> Self {
        KeyMap::new(defaults())
    }
}

impl KeyMap {
    pub fn new(table: Vec<Binding>) -> KeyMap {
        let mut lookup = HashMap::new();
        for b in &table {
            for k in &b.keys {
                if let Some(key) = parse_key(k) {
                    lookup.insert(normalize(key), b.command);
                }
            }
        }
        KeyMap { table, lookup }
    }

    /// The defaults with `overrides` (action name → keys) applied; an unknown
    /// action or key is an error naming it.
    pub fn with_overrides(overrides: &HashMap<String, Vec<String>>) -> Result<KeyMap, String> {
        let mut table = defaults();
        for (name, keys) in overrides {
            let command: Command = serde_json::from_value(serde_json::Value::String(name.clone()))
                .map_err(|_| format!("unknown action {name:?} in [keys]"))?;
            if let Some(bad) = keys.iter().find(|k| parse_key(k).is_none()) {
                return Err(format!("unknown key {bad:?} for {name}"));
            }
            if let Some(b) = table.iter_mut().find(|b| b.command == command) {
                b.keys = keys.clone();
            }
        }
        Ok(KeyMap::new(table))
    }

    pub fn command(&self, key: KeyEvent) -> Option<Command> {
        self.lookup.get(&normalize(key)).copied()
    }
}

/// Shift is part of the character for letters and symbols.
fn normalize(key: KeyEvent) -> (KeyCode, KeyModifiers) {
    let mods = match key.code {
        KeyCode::Char(_) => key.modifiers - KeyModifiers::SHIFT,
        _ => key.modifiers,
    };
    (key.code, mods)
}

/// How the app tells of a mention or a reply arriving: both off by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    /// Ring the terminal bell.
    #[serde(default)]
    pub bell: bool,
    /// Send a desktop notification (OSC 9, which many terminals show).
    #[serde(default)]
    pub desktop: bool,
}

/// The user's `config.toml`.
#[derive(Debug, Default, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub keys: HashMap<String, Vec<String>>,
    #[serde(default)]
    pub notify: Notify,
}

/// Reads `config.toml` from the user's config directory, if there is one:
/// the key map and how to notify.
pub fn load_config() -> Result<(KeyMap, Notify), String> {
    let Some(dirs) = directories::ProjectDirs::from("", "", "roost") else {
        return Ok((KeyMap::default(), Notify::default()));
    };
    let path = dirs.config_dir().join("config.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok((KeyMap::default(), Notify::default()));
    };
    let config: Config = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let keys =
        KeyMap::with_overrides(&config.keys).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((keys, config.notify))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let map = KeyMap::default();
        assert_eq!(
            map.command(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Command::Down)
        );
        assert_eq!(
            map.command(KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Command::Bottom)
        );
        assert_eq!(
            map.command(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            Some(Command::PageDown)
        );
        let overrides = HashMap::from([("down".to_owned(), vec!["z".to_owned()])]);
        let map = KeyMap::with_overrides(&overrides).unwrap();
        assert_eq!(
            map.command(KeyEvent::new(KeyCode::Char('z'), KeyModifiers::NONE)),
            Some(Command::Down)
        );
        assert_eq!(
            map.command(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE)),
            None
        );
        let bad = HashMap::from([("fly".to_owned(), vec!["x".to_owned()])]);
        assert!(KeyMap::with_overrides(&bad).is_err());
        let config: Config = toml::from_str("[keys]\nup = [\"i\", \"Up\"]\n").unwrap();
        assert_eq!(config.keys["up"], ["i", "Up"]);
        assert_eq!(config.notify, Notify::default());
        let config: Config = toml::from_str("[notify]\nbell = true\n").unwrap();
        assert!(config.notify.bell && !config.notify.desktop);
        assert!(toml::from_str::<Config>("[notify]\nbeep = true\n").is_err());
    }

    #[test]
    fn every_help_fits_a_column_of_the_help_overlay() {
        for b in defaults() {
            assert!(b.help.chars().count() <= 47, "{:?} is too long", b.help);
        }
    }

    #[test]
    fn every_default_key_parses_and_no_key_is_taken_twice() {
        let mut seen = HashMap::new();
        for b in defaults() {
            for k in &b.keys {
                let key = normalize(parse_key(k).unwrap_or_else(|| panic!("{k}")));
                assert!(seen.insert(key, b.command).is_none(), "{k} bound twice");
            }
        }
    }
}
