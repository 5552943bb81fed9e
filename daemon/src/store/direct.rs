//! Direct messages: a conversation per set of participants (its id names
//! them: `c:<ids, sorted>`), its messages in its own slot, each participant's
//! list of conversations and read marker in theirs. Sending is one step in the
//! conversation's slot (the message is then sent), then every participant's
//! list and the `direct` event; a pending mark covers those until they are
//! done. Messages never enter a timeline, a notification or another stream.

use std::collections::HashMap;

use redis::AsyncCommands;
use roost_shared::time::format_millis;
use roost_shared::{ConversationEntry, Message, User};

use super::scripts::{DM_SEND, LOG_CHANGE};
use super::{Store, decode};
use crate::error::{Error, Result};
use crate::failpoint::crash_point;

/// The conversation id of a set of participants.
pub fn conversation_id(participants: &[u64]) -> String {
    let mut ids = participants.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    format!("c:{}", ids.join(","))
}

/// The participants a conversation id names; `None` if it names none.
pub fn participants(conversation: &str) -> Option<Vec<u64>> {
    let ids = conversation.strip_prefix("c:")?;
    let ids: Option<Vec<u64>> = ids.split(',').map(|id| id.parse().ok()).collect();
    ids.filter(|ids| ids.len() >= 2 && ids.windows(2).all(|w| w[0] < w[1]))
}

impl Store {
    /// Sends `text` from `from` to everyone in `participants` (the sender
    /// included). Returns the message.
    pub async fn send_dm(
        &self,
        from: &User,
        participants: &[u64],
        text: &str,
        now: i64,
    ) -> Result<Message> {
        let k = self.keys();
        let conversation = conversation_id(participants);
        let draft = Message {
            id: 0,
            conversation: conversation.clone(),
            from: from.login.clone(),
            text: text.to_owned(),
            sent: format_millis(now),
        };
        let json =
            |m: &Message| serde_json::to_string(m).map_err(|e| Error::Internal(e.to_string()));
        // The mark names the conversation (the id is not known yet): a
        // finisher delivers its messages sent since the mark.
        let mark = format!("dm:{conversation}:{}", super::epoch::random_epoch());
        let _: i64 = self.conn().zadd(k.pending_acts(), &mark, now).await?;
        let id: u64 = DM_SEND
            .key(k.dm_seq(&conversation))
            .key(k.dm_messages(&conversation))
            .arg(json(&draft)?)
            .invoke_async(&mut self.conn())
            .await?;
        let message = Message { id, ..draft };
        crash_point("dm.sent");
        self.deliver_dm(from.id, &message, now).await?;
        let _: i64 = self.conn().zrem(k.pending_acts(), &mark).await?;
        Ok(message)
    }

    /// The steps after a message is stored, each safe to do again: every
    /// participant's conversations list, the sender's read marker, the event.
    async fn deliver_dm(&self, sender: u64, message: &Message, now: i64) -> Result<()> {
        let k = self.keys();
        let ids = participants(&message.conversation).unwrap_or_default();
        let mut cmds: Vec<redis::Cmd> = ids
            .iter()
            .map(|&p| redis::Cmd::zadd(k.dm_conversations(p), &message.conversation, now))
            .collect();
        cmds.push(redis::Cmd::hset(
            k.dm_read(sender),
            &message.conversation,
            message.id,
        ));
        let _: Vec<redis::Value> = self.query_many(cmds).await?;
        let json = serde_json::to_string(message).map_err(|e| Error::Internal(e.to_string()))?;
        let _: i64 = LOG_CHANGE
            .key(k.events())
            .key(k.logged_changes())
            .arg(format!("dm:{}:{}", message.conversation, message.id))
            .arg(now)
            .arg(self.limits.event_log_len)
            .arg("kind")
            .arg("message")
            .arg("message")
            .arg(json)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// Finishes messages whose roostd died after storing them (see
    /// `send_dm`): those of the mark's conversation sent since the mark
    /// (`marked` ms) are delivered again; delivering is idempotent.
    pub(crate) async fn finish_dm(&self, mark: &str, marked: i64, now: i64) -> Result<()> {
        let Some(conversation) = mark
            .strip_prefix("dm:")
            .and_then(|rest| rest.rsplit_once(':'))
            .map(|(c, _)| c.to_owned())
        else {
            return Ok(());
        };
        let ids = participants(&conversation).unwrap_or_default();
        for message in self.messages(&conversation, 1, 100).await? {
            let sent = roost_shared::time::parse_millis(&message.sent).unwrap_or(0);
            if sent + 1000 < marked {
                break;
            }
            let sender = self.id_of_login(&message.from).await?;
            if let Some(sender) = sender.filter(|s| ids.contains(s)) {
                self.deliver_dm(sender, &message, now).await?;
            }
        }
        Ok(())
    }

    /// One message of a conversation.
    async fn message(&self, conversation: &str, id: u64) -> Result<Option<Message>> {
        let found: Vec<String> = self
            .conn()
            .zrangebyscore(self.keys().dm_messages(conversation), id, id)
            .await?;
        Ok(found
            .first()
            .and_then(|json| serde_json::from_str(json).ok()))
    }

    /// A page of a conversation's messages, newest first.
    pub async fn messages(
        &self,
        conversation: &str,
        page: u32,
        count: u32,
    ) -> Result<Vec<Message>> {
        let start = (i64::from(page) - 1) * i64::from(count);
        let found: Vec<String> = self
            .conn()
            .zrevrange(
                self.keys().dm_messages(conversation),
                start as isize,
                (start + i64::from(count) - 1) as isize,
            )
            .await?;
        Ok(found
            .iter()
            .filter_map(|j| serde_json::from_str(j).ok())
            .collect())
    }

    /// Marks `conversation` read up to `message` for `uid` (never back);
    /// `not_found` if the conversation has no such message. Returns unread.
    pub async fn read_dm(&self, uid: u64, conversation: &str, message: u64) -> Result<u64> {
        if self.message(conversation, message).await?.is_none() {
            return Err(Error::NotFound(format!(
                "no message {message} in {conversation}"
            )));
        }
        let k = self.keys();
        let marker: Option<u64> = self.conn().hget(k.dm_read(uid), conversation).await?;
        if marker.is_none_or(|m| m < message) {
            let _: i64 = self
                .conn()
                .hset(k.dm_read(uid), conversation, message)
                .await?;
        }
        self.dm_unread(uid, conversation).await
    }

    async fn dm_unread(&self, uid: u64, conversation: &str) -> Result<u64> {
        let k = self.keys();
        let marker: Option<u64> = self.conn().hget(k.dm_read(uid), conversation).await?;
        let after = format!("({}", marker.unwrap_or(0));
        Ok(self
            .conn()
            .zcount(k.dm_messages(conversation), after, "+inf")
            .await?)
    }

    /// A page of `uid`'s conversations, latest activity first.
    pub async fn conversations(
        &self,
        uid: u64,
        page: u32,
        count: u32,
    ) -> Result<Vec<ConversationEntry>> {
        let start = (i64::from(page) - 1) * i64::from(count);
        let ids: Vec<String> = self
            .conn()
            .zrevrange(
                self.keys().dm_conversations(uid),
                start as isize,
                (start + i64::from(count) - 1) as isize,
            )
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Four round trips for the page, whatever its length: the read
        // markers, each conversation's last message and unread count, the
        // people.
        let k = self.keys();
        let markers: Vec<Option<u64>> = redis::cmd("HMGET")
            .arg(k.dm_read(uid))
            .arg(&ids)
            .query_async(&mut self.conn())
            .await?;
        let mut cmds = Vec::with_capacity(ids.len() * 2);
        for (conversation, marker) in ids.iter().zip(&markers) {
            let messages = k.dm_messages(conversation);
            cmds.push(redis::Cmd::zrevrange(&messages, 0, 0));
            let after = format!("({}", marker.unwrap_or(0));
            cmds.push(redis::Cmd::zcount(&messages, after, "+inf"));
        }
        let found: Vec<redis::Value> = self.query_many(cmds).await?;
        let mut people: Vec<u64> = ids
            .iter()
            .filter_map(|c| participants(c))
            .flatten()
            .filter(|p| *p != uid)
            .collect();
        people.sort_unstable();
        people.dedup();
        let users: HashMap<u64, User> = people
            .iter()
            .zip(self.users(&people).await?)
            .filter_map(|(id, user)| Some((*id, user?)))
            .collect();
        let mut out = Vec::new();
        for (conversation, found) in ids.into_iter().zip(found.chunks(2)) {
            let Some(people) = participants(&conversation) else {
                continue;
            };
            let last: Vec<String> = decode(found[0].clone())?;
            let Some(last) = last.first().and_then(|j| serde_json::from_str(j).ok()) else {
                continue;
            };
            let unread: u64 = decode(found[1].clone())?;
            let with = people
                .iter()
                .filter(|p| **p != uid)
                .filter_map(|p| users.get(p).cloned())
                .collect();
            out.push(ConversationEntry {
                conversation,
                with,
                last,
                unread,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_of_participants_names_one_conversation() {
        assert_eq!(conversation_id(&[9, 1, 4, 4]), "c:1,4,9");
        assert_eq!(participants("c:1,4,9"), Some(vec![1, 4, 9]));
        for bad in ["c:1", "c:4,1", "x:1,2", "c:1,,2", "c:1,1"] {
            assert_eq!(participants(bad), None, "{bad}");
        }
    }
}
