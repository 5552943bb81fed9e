//! The messages pane: conversations with their unread counts, a chat that
//! updates live from the `direct` stream, and writing to one or more logins.

use ratatui_textarea::TextArea;
use roost_shared::{ConversationEntry, Event, Message};

use super::model::Chat;
use super::{App, Effect, Mode, Pane, PromptKind};
use crate::keys::Command;

impl App {
    /// Opens the composer for a message to `to` (logins).
    pub(super) fn compose_dm(&mut self, to: Vec<String>) -> Vec<Effect> {
        let mut area = TextArea::default();
        let names: Vec<String> = to.iter().map(|l| format!("@{l}")).collect();
        area.set_placeholder_text(format!("A message to {}", names.join(", ")));
        self.reply_to = None;
        self.dm_to = Some(to);
        self.mode = Mode::Compose(Box::new(area));
        Vec::new()
    }

    /// `c` in the messages pane: to the open chat, or ask to whom.
    pub(super) fn compose_in_messages(&mut self) -> Vec<Effect> {
        match &self.messages.chat {
            Some(chat) => self.compose_dm(chat.with.clone()),
            None => {
                self.mode = Mode::Prompt {
                    kind: PromptKind::DmTo,
                    input: String::new(),
                };
                Vec::new()
            }
        }
    }

    /// The logins typed at the "to" prompt: spaces, commas and `@` apart.
    pub(super) fn dm_to_typed(&mut self, text: &str) -> Vec<Effect> {
        let to: Vec<String> = text
            .split([',', ' '])
            .map(|l| l.trim().trim_start_matches('@'))
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        if to.is_empty() {
            self.message = Some("Name one login or more (alice, bob).".into());
            return Vec::new();
        }
        self.compose_dm(to)
    }

    /// Enter in the messages pane opens the selected conversation.
    pub(super) fn open_chat(&mut self) -> Vec<Effect> {
        let Some(entry) = self.messages.current() else {
            return Vec::new();
        };
        let conversation = entry.conversation.clone();
        self.messages.chat = Some(Chat {
            conversation: conversation.clone(),
            with: entry.with.iter().map(|u| u.login.clone()).collect(),
            messages: Vec::new(),
            loaded: false,
        });
        vec![Effect::LoadChat(conversation)]
    }

    pub(super) fn messages_command(&mut self, command: Command) -> Option<Vec<Effect>> {
        if self.pane != Pane::Messages {
            return None;
        }
        Some(match command {
            Command::Open => {
                if self.messages.chat.is_some() {
                    return Some(Vec::new());
                }
                self.open_chat()
            }
            Command::Compose => self.compose_in_messages(),
            Command::Back if self.messages.chat.is_some() => {
                self.messages.chat = None;
                Vec::new()
            }
            Command::Refresh => match &self.messages.chat {
                Some(chat) => vec![Effect::LoadChat(chat.conversation.clone())],
                None => vec![Effect::LoadConversations],
            },
            _ => return None,
        })
    }

    pub(super) fn conversations_loaded(&mut self, list: Vec<ConversationEntry>) -> Vec<Effect> {
        let keep = self.messages.current().map(|c| c.conversation.clone());
        self.messages.conversations = list;
        self.messages.loaded = true;
        self.messages.reselect(keep);
        // A conversation open as a chat is read.
        match &self.messages.chat {
            Some(chat) if self.pane == Pane::Messages => self.read_chat(&chat.conversation.clone()),
            _ => Vec::new(),
        }
    }

    pub(super) fn chat_loaded(
        &mut self,
        conversation: String,
        messages: Vec<Message>,
    ) -> Vec<Effect> {
        let with = self
            .messages
            .conversations
            .iter()
            .find(|c| c.conversation == conversation)
            .map(|c| c.with.iter().map(|u| u.login.clone()).collect());
        let chat = self.messages.chat.get_or_insert_with(|| Chat {
            conversation: conversation.clone(),
            with: with.clone().unwrap_or_default(),
            messages: Vec::new(),
            loaded: false,
        });
        if chat.conversation != conversation {
            return Vec::new();
        }
        let mut messages = messages;
        messages.reverse();
        chat.messages = messages;
        chat.loaded = true;
        if let Some(with) = with.filter(|_| chat.with.is_empty()) {
            chat.with = with;
        }
        self.pane = Pane::Messages;
        self.read_chat(&conversation)
    }

    /// Marks the open conversation read up to its newest message.
    fn read_chat(&mut self, conversation: &str) -> Vec<Effect> {
        let newest = self
            .messages
            .chat
            .as_ref()
            .filter(|c| c.conversation == conversation)
            .and_then(|c| c.messages.last())
            .map(|m| m.id);
        let entry = self
            .messages
            .conversations
            .iter_mut()
            .find(|c| c.conversation == conversation);
        match (newest, entry) {
            (Some(message), Some(entry)) if entry.unread > 0 => {
                entry.unread = 0;
                vec![Effect::Read {
                    conversation: conversation.to_owned(),
                    message,
                }]
            }
            _ => Vec::new(),
        }
    }

    /// A message of yours went out: it shows in its chat, which opens.
    pub(super) fn sent(&mut self, message: Message) -> Vec<Effect> {
        self.draft = None;
        let to = self.dm_to.take().unwrap_or_default();
        self.message = Some("Sent.".into());
        if self
            .messages
            .chat
            .as_ref()
            .is_none_or(|c| c.conversation != message.conversation)
        {
            self.messages.chat = Some(Chat {
                conversation: message.conversation.clone(),
                with: to,
                messages: Vec::new(),
                loaded: false,
            });
            self.pane = Pane::Messages;
            return [
                self.arrived(message),
                vec![Effect::LoadChat(self.open_conversation())],
            ]
            .concat();
        }
        self.pane = Pane::Messages;
        self.arrived(message)
    }

    fn open_conversation(&self) -> String {
        self.messages
            .chat
            .as_ref()
            .map(|c| c.conversation.clone())
            .unwrap_or_default()
    }

    /// A message in one of your conversations, yours or another's: into its
    /// chat if open (read at once where you are looking), to the top of the
    /// list with its unread count.
    fn arrived(&mut self, message: Message) -> Vec<Effect> {
        let mine = self.me.as_ref().is_some_and(|m| m.login == message.from);
        let looking = self.pane == Pane::Messages;
        let mut effects = Vec::new();
        let mut in_chat = false;
        if let Some(chat) = self
            .messages
            .chat
            .as_mut()
            .filter(|c| c.conversation == message.conversation)
        {
            in_chat = true;
            if !chat.messages.iter().any(|m| m.id == message.id) {
                chat.messages.push(message.clone());
            }
        }
        let at = self
            .messages
            .conversations
            .iter()
            .position(|c| c.conversation == message.conversation);
        let keep = self.messages.current().map(|c| c.conversation.clone());
        match at {
            Some(at) => {
                let mut entry = self.messages.conversations.remove(at);
                let fresh = entry.last.id < message.id;
                if fresh {
                    entry.last = message.clone();
                    if !(mine || in_chat && looking) {
                        entry.unread += 1;
                    }
                }
                self.messages.conversations.insert(0, entry);
                self.messages.reselect(keep);
                if fresh && !mine && in_chat && looking {
                    effects.push(Effect::Read {
                        conversation: message.conversation.clone(),
                        message: message.id,
                    });
                }
            }
            // A new conversation: read the list again for its people.
            None => effects.push(Effect::LoadConversations),
        }
        if !mine {
            let line: String = message.text.chars().take(80).collect();
            self.alerts
                .push(format!("@{} wrote to you: {line}", message.from));
        }
        effects
    }

    pub(super) fn direct_event(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Message { message, .. } => self.arrived(message),
            Event::Gap { .. } | Event::Lagged { .. } => {
                let mut effects = vec![Effect::LoadConversations];
                if let Some(chat) = &self.messages.chat {
                    effects.push(Effect::LoadChat(chat.conversation.clone()));
                }
                effects
            }
            _ => Vec::new(),
        }
    }
}
