//! The Lua scripts that make each multi-key step atomic. Every script's keys
//! share one hash slot (see `keys.rs`), so they also run on Redis Cluster.

use std::sync::LazyLock;

use redis::Script;

/// Registers an account. Refusals use up no id; a new id is above `floor`
/// (the highest id the calling roostd has seen), so ids are not handed out
/// again after Redis lost its data. The new user's hash is the one key not in
/// KEYS (its id is made here); it shares the `{ns}` hash slot of the others,
/// so the script runs on Redis Cluster too. Taking the id in the same step
/// keeps concurrent registrations from colliding.
/// KEYS: logins, uids, next_user. ARGV: lowercased login, login, name, signup
/// (ms), Unix uid (empty for a bot), user hash prefix (global slot), floor.
/// Returns the new id, -1 when the login is taken, -2 when the uid has an account.
pub static REGISTER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return -1 end
if ARGV[5] ~= '' and redis.call('HEXISTS', KEYS[2], ARGV[5]) == 1 then return -2 end
if tonumber(redis.call('GET', KEYS[3]) or '0') < tonumber(ARGV[7]) then
  redis.call('SET', KEYS[3], ARGV[7])
end
local id = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], ARGV[1], id)
if ARGV[5] ~= '' then redis.call('HSET', KEYS[2], ARGV[5], id) end
redis.call('HSET', ARGV[6] .. id, 'id', id, 'login', ARGV[2], 'name', ARGV[3],
           'signup', ARGV[4], 'unix_uid', ARGV[5])
return id
",
    )
});

/// Takes one act of a rate limit: drops acts older than the window, and if
/// fewer than `limit` remain records this one; else answers how long until
/// the oldest leaves the window. One step, so racing requests of one account
/// (through several roostd too) cannot pass the limit together.
/// KEYS: the account's rate set. ARGV: now (ms), window (ms), limit, token.
/// Returns 0 if taken, else the milliseconds to wait.
pub static RATE_TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
return 0
",
    )
});

/// Reads the layout version of the data: the version recorded, or 1 for data
/// without one (laid out before versions were kept), or, for no data at all,
/// records and returns this roostd's version.
/// KEYS: schema, next_user. ARGV: this roostd's version.
pub static SCHEMA_READ: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local version = redis.call('GET', KEYS[1])
if version then return tonumber(version) end
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
redis.call('SET', KEYS[1], ARGV[1])
return tonumber(ARGV[1])
",
    )
});

/// Records an upgrade step's new version, if the data is still at its old
/// one (or carries none, which is version 1). KEYS: schema. ARGV: old, new.
/// Returns 1 if this call recorded it.
pub static SCHEMA_ADVANCE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local version = tonumber(redis.call('GET', KEYS[1]) or '1')
if version ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
",
    )
});

/// Reads the data's epoch, or starts a new one where there is none (a new or
/// lost data set), raising the user id counter to `floor` then.
/// KEYS: epoch, next_user. ARGV: a new random epoch, floor. Returns the epoch.
pub static EPOCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local epoch = redis.call('GET', KEYS[1])
if epoch then return tonumber(epoch) end
redis.call('SET', KEYS[1], ARGV[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[2])
end
return tonumber(ARGV[1])
",
    )
});

/// Takes a status id and marks the post pending until it is published, so a
/// roostd that dies before publishing is finished by another (or itself after
/// a restart); for a repost, its original too, so a repost claimed but never
/// written can be taken back. KEYS: next_status, pending_posts,
/// pending_reposts. ARGV: author id, now (ms), the original's `<uid>:<sid>`
/// or ''. Returns the id.
pub static ALLOCATE_STATUS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local id = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1] .. ':' .. id)
if ARGV[3] ~= '' then redis.call('HSET', KEYS[3], id, ARGV[3]) end
return id
",
    )
});

/// Publishes a written status, once: records its author (which lets `delete`
/// find it), appends it to the event log with the notifications it causes,
/// counts its tags in the minute's trending bucket, queues the fan-out job past
/// the inline first page (if any) and ends its pending mark, in one step. A
/// status already published, or deleted since (its author entry is then a 0
/// tombstone), is not published again, so nothing is logged or counted twice.
/// KEYS: status_author, events, jobs, pending_posts, trend (the posted minute's),
/// pending_reposts.
/// ARGV: status id, author id, event log length, S, J, T, N, then the status's
/// S [field, value, ...], the job's J [field, value, ...] (none: no job), T tags,
/// and N notifications as [recipient id, notification JSON, ...].
/// Returns 1 if this call published it.
pub static PUBLISH_STATUS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('ZREM', KEYS[4], ARGV[2] .. ':' .. ARGV[1])
redis.call('HDEL', KEYS[6], ARGV[1])
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local s, j, t, n = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local at = 8
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'kind', 'status', unpack(ARGV, at, at + s - 1))
at = at + s
if j > 0 then redis.call('XADD', KEYS[3], '*', unpack(ARGV, at, at + j - 1)) end
at = at + j
for i = at, at + t - 1 do redis.call('ZINCRBY', KEYS[5], 1, ARGV[i]) end
if t > 0 then redis.call('EXPIRE', KEYS[5], 90000) end -- TREND_KEPT_SECS
at = at + t
for i = at, at + 2 * n - 1, 2 do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'kind', 'notification',
             'to', ARGV[i], 'notification', ARGV[i + 1])
end
return 1
",
    )
});

/// Claims the deletion of a status (only one of racing deletes wins), appends
/// it to the event log, takes its tags off the trending count of its minute
/// (while that bucket lasts) and queues its cleanup job, in one step. The author
/// entry becomes a 0 tombstone, so a late publish of the same status (by a
/// roostd finishing an abandoned post) cannot bring it back.
/// A status taken off trending (see `TREND_WITHDRAW`) is not taken off again.
/// KEYS: status_author, events, jobs, trend, trend_out (the posted minute's).
/// ARGV: status id, event log length, S, J, T, then the status's S [field,
/// value, ...], the job's J [field, value, ...] and T tags. Returns 1 if this
/// call claimed it.
pub static DELETE_CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') <= 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], 0)
local s, j, t = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local at = 6
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'kind', 'delete', unpack(ARGV, at, at + s - 1))
at = at + s
redis.call('XADD', KEYS[3], '*', unpack(ARGV, at, at + j - 1))
at = at + j
local out = redis.call('HDEL', KEYS[5], ARGV[1]) == 1
if t > 0 and not out and redis.call('EXISTS', KEYS[4]) == 1 then
  for i = at, at + t - 1 do
    if tonumber(redis.call('ZINCRBY', KEYS[4], -1, ARGV[i])) <= 0 then
      redis.call('ZREM', KEYS[4], ARGV[i])
    end
  end
end
return 1
",
    )
});

/// Records a status hidden, an account suspended or an account gone private
/// (or the undoing) in its global set and, if that changed it, logs it for
/// every roostd's streams, in one step. KEYS: the set (hidden_statuses,
/// suspended_accounts or private_accounts), events. ARGV: id, 1 on (0 off),
/// event log length, what (`status`, `account` or `private`). Returns 1 if
/// logged.
pub static RESTRICTED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local changed
if ARGV[2] == '1' then changed = redis.call('SADD', KEYS[1], ARGV[1])
else changed = redis.call('SREM', KEYS[1], ARGV[1]) end
if changed == 0 then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'kind', 'restriction',
           'what', ARGV[4], 'id', ARGV[1], 'on', ARGV[2])
return 1
",
    )
});

/// Takes a live status off trending for a reason, or gives the reason back:
/// the status counts while it has no reason (hidden, author suspended, author
/// gone private) to be out, so every change is idempotent and the reasons
/// combine. A deleted status (0 tombstone) is left alone: its delete took it off.
/// KEYS: status_author, trend, trend_out (the posted minute's).
/// ARGV: status id, reason bit, 1 to take off (0 to give back), the buckets'
/// EXPIREAT, then the tags. Returns 1 if the count changed.
pub static TREND_WITHDRAW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') <= 0 then return 0 end
local old = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
local bit = tonumber(ARGV[2])
local has = math.floor(old / bit) % 2 == 1
local new = old
if ARGV[3] == '1' and not has then new = old + bit end
if ARGV[3] == '0' and has then new = old - bit end
if new == old then return 0 end
if new == 0 then
  redis.call('HDEL', KEYS[3], ARGV[1])
else
  redis.call('HSET', KEYS[3], ARGV[1], new)
  redis.call('EXPIREAT', KEYS[3], ARGV[4])
end
local delta = 0
if old == 0 then delta = -1 elseif new == 0 then delta = 1 end
if delta == 0 then return 0 end
for i = 5, #ARGV do
  if tonumber(redis.call('ZINCRBY', KEYS[2], delta, ARGV[i])) <= 0 then
    redis.call('ZREM', KEYS[2], ARGV[i])
  end
end
if delta > 0 then redis.call('EXPIREAT', KEYS[2], ARGV[4]) end
return 1
",
    )
});

/// Writes a status with its profile entry, `posts` counter, the author's own
/// home timeline and, for a reply, its parent (kept after a delete, so threads
/// still lead through it), then returns the first page of followers for the
/// inline fan-out. The post stays pending (see `ALLOCATE_STATUS`) until published.
/// A repost enters the author's own home under the same rule as every
/// follower's (see `HOME_ADD`).
/// KEYS: status, profile, home, counts, followers, parents, home_originals,
/// repost_originals (all the author's slot).
/// ARGV: member, cap, batch, parent (`<uid>:<sid>`, '' for none), original
/// (`<uid>:<sid>` of a repost's original, '' for none), then the status
/// hash's [field, value, ...].
/// Returns the followers page as [member, score, ...]; none when the author's
/// posts are merged into homes at read time (`fanout` = `merge` in counts).
pub static POST: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{HOME_ENTER}{}",
        r"
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
local sid = redis.call('HGET', KEYS[1], 'id')
if redis.call('ZADD', KEYS[2], sid, ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[4], 'posts', 1)
end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[6], sid, ARGV[4]) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[8], ARGV[1], ARGV[5]) end
home_enter(KEYS[3], KEYS[7], sid, ARGV[1], ARGV[5], tonumber(ARGV[2]))
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[2]) + 1))
if redis.call('HGET', KEYS[4], 'fanout') == 'merge' then return {} end
return redis.call('ZRANGE', KEYS[5], 0, tonumber(ARGV[3]) - 1, 'WITHSCORES')
"
    ))
});

/// Lua that adds a member to a home timeline, except a repost where the home
/// already holds its original or another repost of it. `home_originals`
/// remembers which repost stands for an original; entries whose repost has
/// left the home are dropped when it grows past twice the cap. The caller
/// trims the home to the cap (once, after all its adds).
const HOME_ENTER: &str = r"
local function home_enter(home, originals, score, member, original, cap)
  if original ~= '' then
    if redis.call('ZSCORE', home, original) then return 0 end
    local standing = redis.call('HGET', originals, original)
    if standing and standing ~= member and redis.call('ZSCORE', home, standing) then return 0 end
    redis.call('HSET', originals, original, member)
    if redis.call('HLEN', originals) > 2 * cap then
      local all = redis.call('HGETALL', originals)
      for i = 1, #all, 2 do
        if not redis.call('ZSCORE', home, all[i + 1]) then redis.call('HDEL', originals, all[i]) end
      end
    end
  end
  return redis.call('ZADD', home, score, member)
end
";

/// Removes a status, its profile and own-home entries, its likes and their
/// notifications (all in the author's slot), and decrements `posts` only if
/// the profile entry was really there. Its thread children stay: a deleted
/// status's replies keep their place in the thread. Safe to run twice.
/// KEYS: status, profile, home, counts, likes, notifications, notified_at,
/// repost_originals.
/// ARGV: member (`<uid>:<sid>`). Returns 1 if the status existed.
pub static DELETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local existed = redis.call('DEL', KEYS[1])
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[4], 'posts', -1)
end
redis.call('ZREM', KEYS[3], ARGV[1])
for _, liker in ipairs(redis.call('ZRANGE', KEYS[5], 0, -1)) do
  local member = 'like:' .. liker .. ':' .. ARGV[1]
  redis.call('ZREM', KEYS[6], member)
  redis.call('HDEL', KEYS[7], member)
end
redis.call('DEL', KEYS[5])
redis.call('HDEL', KEYS[8], ARGV[1])
return existed
",
    )
});

/// Notifications an account keeps, newest first: a neighbour mentioning
/// someone in a loop cannot grow their list (or its unread count) without bound.
pub const NOTIFICATIONS_KEPT: usize = 1000;

/// Lua that adds a notification once (its member names the act, so doing the
/// act's steps again finds the one already there), keeping the newest
/// [`NOTIFICATIONS_KEPT`], and takes one away. Ids come from the recipient's
/// `notified` counter, so they only grow.
const NOTIFY: &str = r"
local function notify(notifications, notified_at, counts, member, at)
  local nid = redis.call('ZSCORE', notifications, member)
  if nid then return tonumber(nid) end
  nid = redis.call('HINCRBY', counts, 'notified', 1)
  redis.call('ZADD', notifications, nid, member)
  redis.call('HSET', notified_at, member, at)
  local over = redis.call('ZCARD', notifications) - KEPT
  if over > 0 then
    for _, old in ipairs(redis.call('ZRANGE', notifications, 0, over - 1)) do
      redis.call('HDEL', notified_at, old)
    end
    redis.call('ZREMRANGEBYRANK', notifications, 0, over - 1)
  end
  return nid
end
local function unnotify(notifications, notified_at, member)
  redis.call('ZREM', notifications, member)
  redis.call('HDEL', notified_at, member)
end
";

fn with_notify(body: &str) -> Script {
    let notify = NOTIFY.replace("KEPT", &NOTIFICATIONS_KEPT.to_string());
    Script::new(&format!("{notify}{body}"))
}

/// Links a reply to its parent: the parent's live replies set and `replies`
/// count, its thread children (which keep the reply after a delete, so its
/// own replies stay reachable), and the parent author's `reply`
/// notification, once. A parent deleted since gets nothing. KEYS: parent
/// status, parent's replies, parent's children, then the parent author's
/// notifications, notified_at, counts. ARGV: reply member, reply id,
/// notification member ('' for none: a reply to oneself), time (ms).
/// Returns the notification id, 0 without one, -1 if the parent is gone.
pub static LINK_REPLY: LazyLock<Script> = LazyLock::new(|| {
    with_notify(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'replies', 1)
end
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
if ARGV[3] == '' then return 0 end
return notify(KEYS[4], KEYS[5], KEYS[6], ARGV[3], ARGV[4])
",
    )
});

/// Unlinks a deleted reply from its parent: out of the live replies set (not
/// the thread children), `replies` decremented only if it was in it (and the
/// parent still exists), and the reply notification gone. KEYS: parent status, parent's replies,
/// notifications, notified_at. ARGV: reply member, notification member.
pub static UNLINK_REPLY: LazyLock<Script> = LazyLock::new(|| {
    with_notify(
        r"
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'replies', -1)
end
unnotify(KEYS[3], KEYS[4], ARGV[2])
return 1
",
    )
});

/// Counts a reply in its parent's `replies` or not, by whether it is out
/// (hidden, or its author suspended): into or out of the live replies set,
/// the count moved only if the set changed, while the parent exists.
/// KEYS: parent status, parent's replies. ARGV: reply member, reply id, 1 out
/// (0 in). Returns 1 if the count changed.
pub static RECOUNT_REPLY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[3] == '1' then
  if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return 0 end
  redis.call('HINCRBY', KEYS[1], 'replies', -1)
else
  if redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1]) == 0 then return 0 end
  redis.call('HINCRBY', KEYS[1], 'replies', 1)
end
return 1
",
    )
});

/// Records a mention in the mentioned account's slot: its mentions timeline
/// and, unless '' is given, its `mention` notification, once.
/// KEYS: mentions, notifications, notified_at, counts. ARGV: status member,
/// status id, notification member or '', time (ms).
/// Returns the notification id, or 0 without one.
pub static MENTION: LazyLock<Script> = LazyLock::new(|| {
    with_notify(
        r"
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
if ARGV[3] == '' then return 0 end
return notify(KEYS[2], KEYS[3], KEYS[4], ARGV[3], ARGV[4])
",
    )
});

/// Takes a deleted status out of a mentioned account's mentions timeline and
/// notifications. KEYS: mentions, notifications, notified_at. ARGV: status
/// member, notification member.
pub static UNMENTION: LazyLock<Script> = LazyLock::new(|| {
    with_notify(
        r"
redis.call('ZREM', KEYS[1], ARGV[1])
unnotify(KEYS[2], KEYS[3], ARGV[2])
return 1
",
    )
});

/// A like: into the status's likes set, its `likes` count and the author's
/// `like` notification, in one step in the author's slot.
/// KEYS: status, likes, notifications, notified_at, counts (the author's).
/// ARGV: liker id, time (ms), notification member ('' for one's own status).
/// Returns {1, likes, notification id or 0}, {0, likes, 0} if already liked,
/// {-1, 0, 0} if the status is gone.
pub static LIKE: LazyLock<Script> = LazyLock::new(|| {
    with_notify(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0, 0} end
if redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1]) == 0 then
  return {0, tonumber(redis.call('HGET', KEYS[1], 'likes') or '0'), 0}
end
local likes = redis.call('HINCRBY', KEYS[1], 'likes', 1)
local nid = 0
if ARGV[3] ~= '' then nid = notify(KEYS[3], KEYS[4], KEYS[5], ARGV[3], ARGV[2]) end
return {1, likes, nid}
",
    )
});

/// Claims a repost in the original's slot: into its reposts set (one per
/// reposter), its `reposts` count and the author's `repost` notification.
/// Claiming again with the same repost id (finishing an abandoned repost)
/// changes nothing. KEYS: original status, reposts, notifications,
/// notified_at, counts (the original author's). ARGV: reposter id, repost
/// id, notification member ('' for one's own status), time (ms).
/// Returns {1, notification id or 0}, {0, 0} if reposted already by another
/// repost, {-1, 0} if the original is gone.
pub static REPOST_CLAIM: LazyLock<Script> = LazyLock::new(|| {
    with_notify(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
local had = redis.call('ZSCORE', KEYS[2], ARGV[1])
if had and tonumber(had) ~= tonumber(ARGV[2]) then return {0, 0} end
if not had then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'reposts', 1)
end
local nid = 0
if ARGV[3] ~= '' then nid = notify(KEYS[3], KEYS[4], KEYS[5], ARGV[3], ARGV[4]) end
return {1, nid}
",
    )
});

/// Stores a direct message: its id from the conversation's counter and the
/// message in the conversation's set, in one step in the conversation's slot.
/// KEYS: seq, messages. ARGV: the message as JSON with id 0. Returns its id.
pub static DM_SEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local id = redis.call('INCR', KEYS[1])
local message = cjson.decode(ARGV[1])
message['id'] = id
redis.call('ZADD', KEYS[2], id, cjson.encode(message))
return id
",
    )
});

/// Files a report: its id, hash and place in the open and all lists, in one
/// step (the hash's key, made from the new id, shares the global slot).
/// KEYS: next_report, reports:all, reports:open. ARGV: hash prefix, by,
/// status member or '', user, reason, now (ms). Returns the id.
pub static REPORT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local id = redis.call('INCR', KEYS[1])
redis.call('HSET', ARGV[1] .. id, 'by', ARGV[2], 'status', ARGV[3], 'user', ARGV[4],
           'reason', ARGV[5], 'at', ARGV[6], 'state', 'open')
redis.call('ZADD', KEYS[2], ARGV[6], id)
redis.call('ZADD', KEYS[3], ARGV[6], id)
return id
",
    )
});

/// Resolves a report. KEYS: the report, reports:open, reports:resolved.
/// ARGV: id, action, by, note, now. Returns 1, or -1 if there is no report.
pub static RESOLVE_REPORT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('HSET', KEYS[1], 'state', 'resolved', 'res_action', ARGV[2], 'res_by', ARGV[3],
           'res_note', ARGV[4], 'res_at', ARGV[5])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
return 1
",
    )
});

/// Asks to follow a private account: into its requests, with its `request`
/// notification ('' for none), unless already following or asking.
/// KEYS: requests, followers, notifications, notified_at, counts (the
/// private account's). ARGV: requester id, now (ms), notification member.
/// Returns 1 if asked, 0 if asking already, -1 if following already.
pub static REQUEST: LazyLock<Script> = LazyLock::new(|| {
    with_notify(
        r"
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return -1 end
if redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1]) == 0 then return 0 end
if ARGV[3] ~= '' then notify(KEYS[3], KEYS[4], KEYS[5], ARGV[3], ARGV[2]) end
return 1
",
    )
});

/// Takes a follow request away (approved, denied or withdrawn) with its
/// notification. KEYS: requests, notifications, notified_at. ARGV: requester
/// id, notification member. Returns 1 if there was one.
pub static REQUEST_TAKE: LazyLock<Script> = LazyLock::new(|| {
    with_notify(
        r"
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
unnotify(KEYS[2], KEYS[3], ARGV[2])
return removed
",
    )
});

/// Takes back the claim of repost `id` (deleted, or never written): out of
/// the reposts set if it is still that repost, the count and the
/// notification. KEYS: original status, reposts, notifications, notified_at.
/// ARGV: reposter id, repost id, notification member.
pub static REPOST_UNCLAIM: LazyLock<Script> = LazyLock::new(|| {
    with_notify(
        r"
local had = redis.call('ZSCORE', KEYS[2], ARGV[1])
if had and tonumber(had) == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[2], ARGV[1])
  if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HINCRBY', KEYS[1], 'reposts', -1) end
end
unnotify(KEYS[3], KEYS[4], ARGV[3])
return 1
",
    )
});

/// Takes a like back: out of the likes set, the count and the notification.
/// KEYS: status, likes, notifications, notified_at. ARGV: liker id,
/// notification member ('' for none). Returns the likes left, -1 if not liked.
pub static UNLIKE: LazyLock<Script> = LazyLock::new(|| {
    with_notify(
        r"
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return -1 end
local likes = 0
if redis.call('EXISTS', KEYS[1]) == 1 then likes = redis.call('HINCRBY', KEYS[1], 'likes', -1) end
if ARGV[2] ~= '' then unnotify(KEYS[3], KEYS[4], ARGV[2]) end
return likes
",
    )
});

/// The followed user's side of follow/unfollow: the followers set and counter,
/// and a generation that orders this edge's changes for the other side.
/// An applied change is also recorded in the followed user's outbox until its
/// event is logged, so a roostd dying between the steps loses no event.
/// The `follow` notification comes and goes with the follow in the same step.
/// KEYS: followers, counts, edge_gen, profile, outbox, notifications,
/// notified_at (the followed user's slot).
/// ARGV: follower id, now (ms), cap, 'follow' or 'unfollow', notification member.
/// Returns {applied (1 or 0), generation} plus, for an applied follow, the newest
/// `cap` profile entries [member, score, ...] and the user's reposts with their
/// originals [repost, original, ...], read in the same step so no post falls
/// between. KEYS[8]: repost_originals. Not applied (already following, or not following) returns the
/// current generation, so the caller can bring the other side in line with it.
pub static FOLLOW_TARGET: LazyLock<Script> = LazyLock::new(|| {
    with_notify(
        r"
local following = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (ARGV[4] == 'follow') == (following ~= false) then
  return {0, tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')}
end
local generation = redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
redis.call('HSET', KEYS[5], ARGV[1] .. ':' .. generation, ARGV[4] .. ':' .. ARGV[2])
local mode = redis.call('HGET', KEYS[2], 'fanout') or 'copy'
if ARGV[4] == 'follow' then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
  local followers = redis.call('HINCRBY', KEYS[2], 'followers', 1)
  if ARGV[5] ~= '' then notify(KEYS[6], KEYS[7], KEYS[2], ARGV[5], ARGV[2]) end
  if mode == 'merge' then return {1, generation, followers, mode, {}, {}} end
  return {1, generation, followers, mode,
          redis.call('ZREVRANGE', KEYS[4], 0, tonumber(ARGV[3]) - 1, 'WITHSCORES'),
          redis.call('HGETALL', KEYS[8])}
end
redis.call('ZREM', KEYS[1], ARGV[1])
local followers = redis.call('HINCRBY', KEYS[2], 'followers', -1)
unnotify(KEYS[6], KEYS[7], ARGV[5])
return {1, generation, followers, mode}
",
    )
});

/// The follower's side: the following set and counter and the home timeline.
/// Applies only a generation newer than the last one applied, so concurrent
/// follow/unfollow of one pair end with both sides agreeing.
/// Copies enter home under the repost rule (see `HOME_ENTER`).
/// A follow of an account whose posts are merged at read time enters the
/// follower's `merged` set; an unfollow always leaves it.
/// KEYS: following, counts, seen_gen, home, home_originals, merged (the
/// follower's slot).
/// ARGV: followed id, generation, now (ms), cap, 'follow' or 'unfollow',
/// the followed user's member prefix, '1' to merge the followed account ('' not),
/// then [member, score, original or '', ...] to copy home.
/// Returns 1 if applied, 0 if a newer change was already applied.
pub static FOLLOW_SOURCE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{HOME_ENTER}{}",
        r"
local last = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
if tonumber(ARGV[2]) <= last then return 0 end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
if ARGV[5] == 'follow' then
  if redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]) == 1 then
    redis.call('HINCRBY', KEYS[2], 'following', 1)
  end
  if ARGV[7] == '1' then redis.call('ZADD', KEYS[6], ARGV[3], ARGV[1]) end
  for i = 8, #ARGV, 3 do
    home_enter(KEYS[4], KEYS[5], ARGV[i + 1], ARGV[i], ARGV[i + 2], tonumber(ARGV[4]))
  end
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -(tonumber(ARGV[4]) + 1))
else
  if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
    redis.call('HINCRBY', KEYS[2], 'following', -1)
  end
  redis.call('ZREM', KEYS[6], ARGV[1])
  local prefix = ARGV[6]
  for _, m in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
    if string.sub(m, 1, #prefix) == prefix then redis.call('ZREM', KEYS[4], m) end
  end
end
return 1
"
    ))
});

/// One page of a sorted set after an exclusive (score, member) cursor, in set
/// order. Many members may share a score (followers who followed in the same
/// millisecond): the cursor is the position after the last member seen, found
/// by its rank, or by counting when that member has left the set since.
/// KEYS: the set. ARGV: cursor score ('' = from the start), cursor member, count.
/// Returns [member, score, ...].
pub static PAGE_AFTER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local n = tonumber(ARGV[3])
local start = 0
if ARGV[1] ~= '' then
  local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
  if score and tonumber(score) == tonumber(ARGV[1]) then
    start = redis.call('ZRANK', KEYS[1], ARGV[2]) + 1
  else
    start = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. ARGV[1])
    for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])) do
      if m <= ARGV[2] then start = start + 1 end
    end
  end
end
return redis.call('ZRANGE', KEYS[1], start, start + n - 1, 'WITHSCORES')
",
    )
});

/// Acknowledges a job and, only if this worker's acknowledgement was the one
/// that counted, queues the job's next pass: a job taken over from a worker that
/// was thought dead can never fork into two chains.
/// KEYS: jobs. ARGV: group, job id, then the next job's [field, value, ...] (none: last pass).
/// Returns 1 if acknowledged.
pub static ACK_AND_CONTINUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XDEL', KEYS[1], ARGV[2])
if #ARGV > 2 then redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3)) end
return 1
",
    )
});

/// Parks a job that keeps failing: acknowledges and removes it from the queue
/// and appends it to the parked jobs, in one step.
/// KEYS: jobs, parked. ARGV: group, job id, then the parked entry's
/// [field, value, ...]. Returns 1 if the job was still pending.
pub static PARK_JOB: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
if acked == 1 then redis.call('XADD', KEYS[2], '*', 'job', ARGV[2], unpack(ARGV, 3)) end
return acked
",
    )
});

/// Gives an account a new bearer token (stored as its SHA-256), dropping the old.
/// KEYS: tokens, token_of_user. ARGV: user id, new token hash.
pub static SET_TOKEN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then redis.call('HDEL', KEYS[1], old) end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
",
    )
});

/// Adds a status to followers' home timelines, each only if they still
/// follow its author (checked in the same step, so an unfollow racing a
/// fan-out pass cannot be undone by it), trimming a home that grew past the
/// cap; a repost only where the home holds neither its original nor another
/// repost of it. One call takes one follower (a Redis Cluster: their keys
/// share a slot) or a batch of them (one Redis: one script run instead of one
/// per follower, less than half the Redis time). Fan-out pipelines send it as
/// EVALSHA and load it when Redis answers NOSCRIPT.
/// KEYS: [home, following, home_originals] per follower. ARGV: author id,
/// status id, member, cap, original (`<uid>:<sid>` of a repost's original, ''
/// for none). Returns how many homes it entered.
pub static HOME_ADD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{HOME_ENTER}{}",
        r"
local cap = tonumber(ARGV[4])
local added = 0
for i = 1, #KEYS, 3 do
  if redis.call('ZSCORE', KEYS[i + 1], ARGV[1])
     and home_enter(KEYS[i], KEYS[i + 2], ARGV[2], ARGV[3], ARGV[5], cap) == 1 then
    added = added + 1
    if redis.call('ZCARD', KEYS[i]) > cap then
      redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -(cap + 1))
    end
  end
end
return added
"
    ))
});

/// Queues a job for a user unless one of its kind is queued and not started
/// yet (which will read the state as it is when it starts): one user's
/// follow and unfollow storm costs one home refill, not one per unfollow, and
/// a crossing of the celebrity threshold one mode change.
/// KEYS: the kind's set of users with a job waiting (`refills`,
/// `mode_changes`), jobs. ARGV: user id, then the job's [field, value, ...].
/// Returns 1 if queued.
pub static QUEUE_ONCE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
return 1
",
    )
});

/// Merges statuses into a home timeline after an unfollow, each only if its
/// author is the owner or still followed (an unfollow landing while the refill
/// runs must not bring its statuses back), under the repost rule (see
/// `HOME_ENTER`), trimmed to the cap. An author the home merges at read time
/// (see `store::celebrity`) is not copied: its statuses show anyway.
/// KEYS: home, following, home_originals, merged (the owner's slot). ARGV:
/// cap, owner id, then [author id, member, score, original or '', ...].
/// Returns how many were added.
pub static REFILL_ADD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{HOME_ENTER}{}",
        r"
local added = 0
local cap = tonumber(ARGV[1])
for i = 3, #ARGV, 4 do
  if (ARGV[i] == ARGV[2] or redis.call('ZSCORE', KEYS[2], ARGV[i]))
     and not redis.call('ZSCORE', KEYS[4], ARGV[i])
     and not redis.call('ZSCORE', KEYS[1], ARGV[i + 1]) then
    added = added + home_enter(KEYS[1], KEYS[3], ARGV[i + 2], ARGV[i + 1], ARGV[i + 3], cap)
  end
end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(cap + 1))
return added
"
    ))
});

/// Logs a follow or unfollow once: a change already logged (a roostd finished
/// it, died before clearing its outbox entry, and another finishes it again)
/// is not logged twice. Marks older than a day are dropped.
/// KEYS: events, logged_changes. ARGV: the change's mark, now (ms), event log
/// length, then the event's [field, value, ...]. Returns 1 if logged.
pub static LOG_CHANGE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1]) == 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[2]) - 86400000)
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', unpack(ARGV, 4))
return 1
",
    )
});

/// Removes a logged change from an outbox; returns how many entries are left.
/// KEYS: outbox. ARGV: field.
pub static OUTBOX_DONE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('HDEL', KEYS[1], ARGV[1])
return redis.call('HLEN', KEYS[1])
",
    )
});

/// Moves an account's fan-out mode one step (`copy` → `promoting` → `merge`
/// → `demoting` → `copy`; see `store::celebrity`): only from the mode given.
/// KEYS: counts. ARGV: from, to. Returns the mode after the call.
pub static FANOUT_MODE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local mode = redis.call('HGET', KEYS[1], 'fanout') or 'copy'
if mode ~= ARGV[1] then return mode end
if ARGV[2] == 'copy' then
  redis.call('HDEL', KEYS[1], 'fanout')
else
  redis.call('HSET', KEYS[1], 'fanout', ARGV[2])
end
return ARGV[2]
",
    )
});

/// An account goes back to being copied into homes: for each follower (keys
/// in fours) who still follows it, its newest statuses enter the home under
/// the repost rule (see `HOME_ENTER`), trimmed to the cap; then it leaves the
/// follower's `merged` set.
/// KEYS: [home, following, home_originals, merged] per follower (each four in
/// one slot). ARGV: the account's id, cap, then [member, score, original or '', ...].
/// Returns how many followers got the copies.
pub static MERGED_LEAVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{HOME_ENTER}{}",
        r"
local cap = tonumber(ARGV[2])
local copied = 0
for k = 1, #KEYS, 4 do
  if redis.call('ZSCORE', KEYS[k + 1], ARGV[1]) then
    for i = 3, #ARGV, 3 do
      home_enter(KEYS[k], KEYS[k + 2], ARGV[i + 1], ARGV[i], ARGV[i + 2], cap)
    end
    redis.call('ZREMRANGEBYRANK', KEYS[k], 0, -(cap + 1))
    copied = copied + 1
  end
  redis.call('ZREM', KEYS[k + 3], ARGV[1])
end
return copied
"
    ))
});

/// Which originals a home timeline already holds, by themselves or through
/// the repost standing for them (see `HOME_ENTER`): a repost merged in at
/// read time is shown only where it would have entered the home.
/// KEYS: home, home_originals. ARGV: originals (`<uid>:<sid>`).
/// Returns 1 or 0 per original.
pub static HOME_HOLDS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local held = {}
for i, original in ipairs(ARGV) do
  held[i] = 0
  if redis.call('ZSCORE', KEYS[1], original) then
    held[i] = 1
  else
    local standing = redis.call('HGET', KEYS[2], original)
    if standing and redis.call('ZSCORE', KEYS[1], standing) then held[i] = 1 end
  end
end
return held
",
    )
});

/// Issues a one-time login code, replacing the user's last one.
/// KEYS: login_codes, login_code_of_user. ARGV: user id, the code's SHA-256,
/// expiry (ms).
pub static LOGIN_CODE_ISSUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then redis.call('HDEL', KEYS[1], old) end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[1] .. ':' .. ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
",
    )
});

/// Takes a login code: gone whatever it was, its user's id if it had not
/// expired. KEYS: login_codes, login_code_of_user. ARGV: the code's SHA-256, now (ms).
pub static LOGIN_CODE_TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
local uid, expiry = string.match(value, '^(%d+):(%d+)$')
if not uid then return false end
if redis.call('HGET', KEYS[2], uid) == ARGV[1] then redis.call('HDEL', KEYS[2], uid) end
if tonumber(expiry) < tonumber(ARGV[2]) then return false end
return tonumber(uid)
",
    )
});

/// Adds an access token of the Mastodon API; past `max` a user's oldest go.
/// KEYS: oauth_tokens, oauth_tokens_of(user). ARGV: SHA-256, user id, now (ms), max.
pub static OAUTH_TOKEN_ADD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  for _, old in ipairs(redis.call('ZRANGE', KEYS[2], 0, over - 1)) do
    redis.call('HDEL', KEYS[1], old)
  end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
end
return 1
",
    )
});
