//! Accounts: `hello`, `register`, `user` (with the caller's relationship),
//! `marker`, `token` and `login_code`.

use roost_shared::time::now_millis;
use roost_shared::{Hello, LoginCode, PROTOCOL_VERSION, Token, validate};
use serde_json::Value;

use super::{check, json};
use crate::error::{Error, Result};
use crate::identity::{new_token, random_bytes, token_hash, unix_user_name};
use crate::session::Caller;
use crate::store::Owner;

pub async fn hello(caller: &mut Caller<'_>) -> Result<Value> {
    let you = match caller.account().await? {
        Some(id) => caller.store().user(id).await?,
        None => None,
    };
    let operator = caller.peer().operator;
    json(Hello {
        protocol: PROTOCOL_VERSION,
        server: format!("roostd {}", env!("CARGO_PKG_VERSION")),
        you,
        operator,
        subscriptions: operator.then(|| caller.daemon.hub().len() as u64),
        time: Some(roost_shared::time::format_millis(now_millis())),
        redis_time: caller
            .store()
            .redis_time()
            .await
            .ok()
            .map(roost_shared::time::format_millis),
    })
}

pub async fn register(
    caller: &mut Caller<'_>,
    login: Option<String>,
    name: Option<String>,
    bot: bool,
) -> Result<Value> {
    if caller.names_as() {
        return Err(Error::BadRequest(
            "register takes no `as`; an operator registers other accounts with \"bot\": true"
                .into(),
        ));
    }
    let peer = caller.peer();
    if bot && !peer.operator {
        return Err(Error::Forbidden("only operators may register bots".into()));
    }
    let login = match (login, bot) {
        (Some(login), _) => login,
        (None, true) => return Err(Error::BadRequest("a bot needs a `login`".into())),
        (None, false) => unix_user_name(peer.uid).ok_or_else(|| {
            Error::BadRequest("your Unix user has no name: pass a `login`".into())
        })?,
    };
    check(validate::login(&login))?;
    let name = name.unwrap_or_else(|| login.clone());
    check(validate::name(&name))?;
    let owner = if bot {
        Owner::Bot
    } else {
        Owner::Unix(peer.uid)
    };
    json(
        caller
            .store()
            .register(&login, &name, owner, now_millis())
            .await?,
    )
}

/// A user, with `relationship` when the caller has an account and is not them.
pub async fn user(caller: &mut Caller<'_>, login: &str) -> Result<Value> {
    let store = caller.store();
    let mut user = store.user_by_login(login).await?;
    if let Some(me) = caller.account().await?
        && me != user.id
    {
        user.relationship = Some(store.relationship(me, user.id).await?);
    }
    json(user)
}

pub async fn set_profile(
    caller: &mut Caller<'_>,
    name: Option<String>,
    bio: Option<String>,
    private: Option<bool>,
) -> Result<Value> {
    if let Some(name) = &name {
        check(validate::name(name))?;
    }
    if let Some(bio) = &bio {
        check(validate::bio(bio))?;
    }
    let me = caller.me().await?;
    super::moderation::active(&me)?;
    let me = me.id;
    let store = caller.store();
    store
        .set_profile(me, name.as_deref(), bio.as_deref())
        .await?;
    if let Some(private) = private {
        store.set_private(me, private, now_millis()).await?;
    }
    json(store.user(me).await?.ok_or(Error::NotRegistered)?)
}

pub async fn marker(
    caller: &mut Caller<'_>,
    home: Option<u64>,
    notifications: Option<u64>,
) -> Result<Value> {
    let me = caller.id().await?;
    json(caller.store().marker(me, home, notifications).await?)
}

pub async fn token(caller: &mut Caller<'_>) -> Result<Value> {
    let me = caller.id().await?;
    let token = new_token().map_err(|e| Error::Internal(e.to_string()))?;
    caller.store().set_token(me, &token_hash(&token)).await?;
    json(Token { token })
}

/// How long a login code may be used.
pub const LOGIN_CODE_MS: i64 = 10 * 60 * 1000;

/// A one-time code that logs a Mastodon client in as the caller's account
/// (the password of `POST /oauth/token`, or typed on `/oauth/authorize`).
pub async fn login_code(caller: &mut Caller<'_>) -> Result<Value> {
    let me = caller.id().await?;
    let code = new_login_code().map_err(|e| Error::Internal(e.to_string()))?;
    let expiry = now_millis() + LOGIN_CODE_MS;
    caller
        .store()
        .issue_login_code(me, &token_hash(&code), expiry)
        .await?;
    json(LoginCode {
        code,
        expires: roost_shared::time::format_millis(expiry),
    })
}

/// 12 letters and digits that cannot be mistaken for each other (~60 bits),
/// in groups of four: `k7mq-3xrt-9bnd`.
fn new_login_code() -> std::io::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let letters: Vec<char> = random_bytes::<12>()?
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    Ok(letters
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}
