//! Accounts: register, look up by id, login or Unix uid.

use redis::AsyncCommands;
use roost_shared::User;
use roost_shared::time::format_millis;

use super::scripts::{LOGIN_CODE_ISSUE, LOGIN_CODE_TAKE, OAUTH_TOKEN_ADD, REGISTER, SET_TOKEN};
use super::{Fields, Store, field, int_field};
use crate::error::{Error, Result};

/// Who an account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A local Unix user, by uid.
    Unix(u32),
    /// Nobody: an operator's bot, used through `as`.
    Bot,
}

impl Store {
    /// Creates an account. Safe under races: one of many concurrent registrations
    /// of a login wins, the rest get `conflict`, and refusals use up no id.
    pub async fn register(&self, login: &str, name: &str, owner: Owner, now: i64) -> Result<User> {
        let k = self.keys();
        let unix_uid = match owner {
            Owner::Unix(uid) => uid.to_string(),
            Owner::Bot => String::new(),
        };
        let id: i64 = REGISTER
            .key(k.logins())
            .key(k.uids())
            .key(k.next_user())
            .arg(login.to_lowercase())
            .arg(login)
            .arg(name)
            .arg(now)
            .arg(&unix_uid)
            .arg(k.user_prefix())
            .arg(self.highest_account())
            .invoke_async(&mut self.conn())
            .await?;
        match id {
            -1 => Err(Error::Conflict(format!("login {login:?} is taken"))),
            -2 => Err(Error::Conflict(format!(
                "Unix uid {unix_uid} already has an account"
            ))),
            id => {
                let id = id as u64;
                self.saw_account(id);
                Ok(User {
                    id,
                    login: login.to_owned(),
                    name: name.to_owned(),
                    followers: 0,
                    following: 0,
                    posts: 0,
                    signup: format_millis(now),
                    bio: String::new(),
                    private: false,
                    suspended: false,
                    relationship: None,
                })
            }
        }
    }

    /// The account id of a login (case-insensitive), if any.
    pub async fn id_of_login(&self, login: &str) -> Result<Option<u64>> {
        let login = login.to_lowercase();
        let epoch = self.epoch();
        if let Some(id) = self.cached_login(&login, epoch) {
            return Ok(Some(id));
        }
        let id: Option<u64> = self.conn().hget(self.keys().logins(), &login).await?;
        if let Some(id) = id {
            self.saw_account(id);
            self.cache_login(login, id, epoch);
        }
        Ok(id)
    }

    /// The account ids of several logins in one round trip, in order.
    pub async fn ids_of_logins(&self, logins: &[String]) -> Result<Vec<Option<u64>>> {
        if logins.is_empty() {
            return Ok(Vec::new());
        }
        let lower: Vec<String> = logins.iter().map(|l| l.to_lowercase()).collect();
        Ok(redis::cmd("HMGET")
            .arg(self.keys().logins())
            .arg(lower)
            .query_async(&mut self.conn())
            .await?)
    }

    /// The account id bound to a Unix uid, if any.
    pub async fn id_of_unix_uid(&self, uid: u32) -> Result<Option<u64>> {
        let id: Option<u64> = self.conn().hget(self.keys().uids(), uid).await?;
        if let Some(id) = id {
            self.saw_account(id);
        }
        Ok(id)
    }

    /// The account of a login, or `not_found`.
    pub async fn user_by_login(&self, login: &str) -> Result<User> {
        let id = self
            .id_of_login(login)
            .await?
            .ok_or_else(|| Error::unknown_user(login))?;
        self.user(id)
            .await?
            .ok_or_else(|| Error::unknown_user(login))
    }

    /// One account with its counters.
    pub async fn user(&self, id: u64) -> Result<Option<User>> {
        Ok(self.users(&[id]).await?.pop().flatten())
    }

    /// Several accounts in one round trip, in the order asked; `None` where an id
    /// has no account.
    pub async fn users(&self, ids: &[u64]) -> Result<Vec<Option<User>>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let k = self.keys();
        let mut cmds = Vec::with_capacity(ids.len() * 2);
        for &id in ids {
            cmds.push(redis::Cmd::hgetall(k.user(id)));
            cmds.push(redis::Cmd::hgetall(k.counts(id)));
        }
        let replies: Vec<Fields> = self.query_many(cmds).await?;
        Ok(replies
            .chunks(2)
            .map(|pair| user_from(&pair[0], &pair[1]))
            .collect())
    }
}

impl Store {
    /// Changes an account's display name and bio (each only if given).
    pub async fn set_profile(&self, uid: u64, name: Option<&str>, bio: Option<&str>) -> Result<()> {
        let mut fields = Vec::new();
        if let Some(name) = name {
            fields.push(("name", name));
        }
        if let Some(bio) = bio {
            fields.push(("bio", bio));
        }
        if !fields.is_empty() {
            let () = self
                .conn()
                .hset_multiple(self.keys().user(uid), &fields)
                .await?;
        }
        Ok(())
    }

    /// Replaces an account's bearer token by one with this SHA-256 (hex).
    pub async fn set_token(&self, uid: u64, token_hash: &str) -> Result<()> {
        let k = self.keys();
        let _: i64 = SET_TOKEN
            .key(k.tokens())
            .key(k.token_of_user())
            .arg(uid)
            .arg(token_hash)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// The account whose current token has this SHA-256 (hex), if any.
    pub async fn account_of_token(&self, token_hash: &str) -> Result<Option<u64>> {
        Ok(self.conn().hget(self.keys().tokens(), token_hash).await?)
    }

    /// How many accounts and statuses there are (statuses ever posted).
    pub async fn network_size(&self) -> Result<(u64, u64)> {
        let k = self.keys();
        let (users, statuses): (u64, Option<u64>) = redis::pipe()
            .hlen(k.logins())
            .get(k.next_status())
            .query_async(&mut self.conn())
            .await?;
        Ok((users, statuses.unwrap_or(0)))
    }

    /// Stores a one-time login code (its SHA-256) for `uid` until `expiry`
    /// (ms), replacing the last one.
    pub async fn issue_login_code(&self, uid: u64, code_hash: &str, expiry: i64) -> Result<()> {
        let k = self.keys();
        let _: i64 = LOGIN_CODE_ISSUE
            .key(k.login_codes())
            .key(k.login_code_of_user())
            .arg(uid)
            .arg(code_hash)
            .arg(expiry)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// Uses up a login code: the account it logs in, if it was valid at `now`.
    pub async fn take_login_code(&self, code_hash: &str, now: i64) -> Result<Option<u64>> {
        let k = self.keys();
        Ok(LOGIN_CODE_TAKE
            .key(k.login_codes())
            .key(k.login_code_of_user())
            .arg(code_hash)
            .arg(now)
            .invoke_async(&mut self.conn())
            .await?)
    }

    /// Stores an access token of the Mastodon API (its SHA-256) for `uid`;
    /// the user's oldest go past `max`.
    pub async fn add_app_token(&self, uid: u64, hash: &str, now: i64, max: u32) -> Result<()> {
        let k = self.keys();
        let _: i64 = OAUTH_TOKEN_ADD
            .key(k.oauth_tokens())
            .key(k.oauth_tokens_of(uid))
            .arg(hash)
            .arg(uid)
            .arg(now)
            .arg(max)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// The account an access token of the Mastodon API (its SHA-256) or the
    /// account's current `token` stands for.
    pub async fn account_of_app_token(&self, hash: &str) -> Result<Option<u64>> {
        let k = self.keys();
        let (app, own): (Option<u64>, Option<u64>) = redis::pipe()
            .hget(k.oauth_tokens(), hash)
            .hget(k.tokens(), hash)
            .query_async(&mut self.conn())
            .await?;
        Ok(app.or(own))
    }

    /// Revokes an access token of the Mastodon API (its SHA-256).
    pub async fn revoke_app_token(&self, hash: &str) -> Result<()> {
        let k = self.keys();
        let uid: Option<u64> = self.conn().hget(k.oauth_tokens(), hash).await?;
        if let Some(uid) = uid {
            let _: () = redis::pipe()
                .hdel(k.oauth_tokens(), hash)
                .zrem(k.oauth_tokens_of(uid), hash)
                .query_async(&mut self.conn())
                .await?;
        }
        Ok(())
    }
}

fn user_from(user: &Fields, counts: &Fields) -> Option<User> {
    if user.is_empty() {
        return None;
    }
    Some(User {
        id: int_field(user, "id"),
        login: field(user, "login").to_owned(),
        name: field(user, "name").to_owned(),
        followers: int_field(counts, "followers"),
        following: int_field(counts, "following"),
        posts: int_field(counts, "posts"),
        signup: format_millis(int_field(user, "signup") as i64),
        bio: field(user, "bio").to_owned(),
        private: field(counts, "private") == "1",
        suspended: field(counts, "suspended") == "1",
        relationship: None,
    })
}
