//! The caller: one connection's peer credentials, its account (looked up once;
//! accounts are never removed), its subscriptions and its queue to the writer;
//! and per request, [`Caller`], the one way to learn who acts.

use roost_shared::User;

use crate::connection::Outgoing;
use crate::daemon::Daemon;
use crate::error::{Error, Result};
use crate::identity::Peer;
use crate::store::Store;
use crate::stream::{Queue, Subscriptions};

/// What one connection knows about its caller. Dropping it ends its subscriptions.
pub struct Session {
    pub peer: Peer,
    /// The caller's own account, once known, with the data epoch it was
    /// looked up in: a new epoch (Redis lost its data) means a new look.
    account: Option<(u64, u64)>,
    pub subscriptions: Subscriptions,
    /// The connection's writer queue, for subscriptions.
    pub queue: Queue<Outgoing>,
    /// The account a bearer token stands for (the Mastodon API): the
    /// caller's own account whatever its peer.
    token_account: Option<u64>,
}

impl Session {
    pub fn new(peer: Peer, queue: Queue<Outgoing>, max_subscriptions: usize) -> Session {
        Session {
            peer,
            account: None,
            subscriptions: Subscriptions::new(max_subscriptions),
            queue,
            token_account: None,
        }
    }

    /// A session of one request made with a bearer token for `account` (no
    /// Unix peer: never an operator, no subscriptions).
    pub fn for_token(account: u64) -> Session {
        let (tx, _) = tokio::sync::mpsc::channel(1);
        let queue = Queue {
            tx,
            closer: std::sync::Arc::new(tokio::sync::Notify::new()),
        };
        let peer = Peer {
            uid: u32::MAX,
            operator: false,
        };
        Session {
            token_account: Some(account),
            ..Session::new(peer, queue, 0)
        }
    }
}

/// One request's caller: the connection's session and the `as` it names.
pub struct Caller<'a> {
    pub daemon: &'a Daemon,
    pub session: &'a mut Session,
    as_login: Option<String>,
    /// Set once an operator acted `as` an account not their own (for the
    /// moderation log).
    pub acted_as_other: bool,
}

impl<'a> Caller<'a> {
    pub fn new(daemon: &'a Daemon, session: &'a mut Session, as_login: Option<String>) -> Self {
        Caller {
            daemon,
            session,
            as_login,
            acted_as_other: false,
        }
    }

    pub fn store(&self) -> &'a Store {
        self.daemon.store()
    }

    pub fn peer(&self) -> Peer {
        self.session.peer
    }

    /// The `as` the request names.
    pub fn as_login(&self) -> Option<&str> {
        self.as_login.as_deref()
    }

    /// Whether the request names an `as`.
    pub fn names_as(&self) -> bool {
        self.as_login.is_some()
    }

    /// The account the request acts for: `as` (an operator's choice, or the
    /// caller's own login), else the caller's own account, if registered.
    pub async fn account(&mut self) -> Result<Option<u64>> {
        let store = self.store();
        let epoch = store.epoch();
        if let Some(account) = self.session.token_account {
            self.session.account = Some((account, epoch));
        } else if self.session.account.is_none_or(|(_, seen)| seen != epoch) {
            let id = store.id_of_unix_uid(self.session.peer.uid).await?;
            self.session.account = id.map(|id| (id, epoch));
        }
        let own = self.session.account.map(|(id, _)| id);
        let Some(login) = self.as_login.as_deref() else {
            return Ok(own);
        };
        let target = store.id_of_login(login).await?;
        if self.session.peer.operator {
            let target = target.ok_or_else(|| Error::unknown_user(login))?;
            self.acted_as_other |= Some(target) != own;
            return Ok(Some(target));
        }
        match (target, own) {
            (Some(t), Some(own)) if t == own => Ok(Some(own)),
            _ => Err(Error::Forbidden(
                "only operators may act `as` another account".into(),
            )),
        }
    }

    /// The acting account; `not_registered` without one.
    pub async fn id(&mut self) -> Result<u64> {
        self.account().await?.ok_or(Error::NotRegistered)
    }

    /// The acting account's full record.
    pub async fn me(&mut self) -> Result<User> {
        let id = self.id().await?;
        self.store().user(id).await?.ok_or(Error::NotRegistered)
    }

    /// The user a read is about: `login`, or else the acting account.
    pub async fn subject(&mut self, login: Option<&str>) -> Result<u64> {
        match login {
            Some(login) => self
                .store()
                .id_of_login(login)
                .await?
                .ok_or_else(|| Error::unknown_user(login)),
            None => self.id().await,
        }
    }
}
