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
/// a restart). KEYS: next_status, pending_posts. ARGV: author id, now (ms).
/// Returns the id.
pub static ALLOCATE_STATUS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local id = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1] .. ':' .. id)
return id
",
    )
});

/// Publishes a written status, once: records its author (which lets `delete`
/// find it), appends it to the event log, queues the fan-out job past the
/// inline first page (if any) and ends its pending mark, in one step. A status
/// already published, or deleted since (its author entry is then a 0
/// tombstone), is not published again. KEYS: status_author, events, jobs,
/// pending_posts. ARGV: status id, author id, event log length, number N of
/// status field arguments, the status's N [field, value, ...], then the job's
/// [field, value, ...] (none: no job). Returns 1 if this call published it.
pub static PUBLISH_STATUS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('ZREM', KEYS[4], ARGV[2] .. ':' .. ARGV[1])
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local n = tonumber(ARGV[4])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'kind', 'status', unpack(ARGV, 5, 4 + n))
if #ARGV > 4 + n then redis.call('XADD', KEYS[3], '*', unpack(ARGV, 5 + n)) end
return 1
",
    )
});

/// Claims the deletion of a status (only one of racing deletes wins), appends
/// it to the event log and queues its cleanup job, in one step. The author
/// entry becomes a 0 tombstone, so a late publish of the same status (by a
/// roostd finishing an abandoned post) cannot bring it back.
/// KEYS: status_author, events, jobs. ARGV: status id, event log length, number
/// N of status field arguments, the status's N [field, value, ...], then the
/// job's [field, value, ...]. Returns 1 if this call claimed it, else 0.
pub static DELETE_CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') <= 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], 0)
local n = tonumber(ARGV[3])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'kind', 'delete', unpack(ARGV, 4, 3 + n))
redis.call('XADD', KEYS[3], '*', unpack(ARGV, 4 + n))
return 1
",
    )
});

/// Writes a status with its profile entry, `posts` counter and the author's own
/// home timeline, then returns the first page of followers for the inline
/// fan-out. The post stays pending (see `ALLOCATE_STATUS`) until published.
/// KEYS: status, profile, home, counts, followers (all the author's slot).
/// ARGV: member, cap, batch, then the status hash's [field, value, ...].
/// Returns the followers page as [member, score, ...].
pub static POST: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
local sid = redis.call('HGET', KEYS[1], 'id')
if redis.call('ZADD', KEYS[2], sid, ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[4], 'posts', 1)
end
redis.call('ZADD', KEYS[3], sid, ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(tonumber(ARGV[2]) + 1))
return redis.call('ZRANGE', KEYS[5], 0, tonumber(ARGV[3]) - 1, 'WITHSCORES')
",
    )
});

/// Removes a status, its profile and own-home entries, and decrements `posts`
/// only if the profile entry was really there. Safe to run twice.
/// KEYS: status, profile, home, counts. ARGV: member. Returns 1 if the status existed.
pub static DELETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local existed = redis.call('DEL', KEYS[1])
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[4], 'posts', -1)
end
redis.call('ZREM', KEYS[3], ARGV[1])
return existed
",
    )
});

/// The followed user's side of follow/unfollow: the followers set and counter,
/// and a generation that orders this edge's changes for the other side.
/// An applied change is also recorded in the followed user's outbox until its
/// event is logged, so a roostd dying between the steps loses no event.
/// KEYS: followers, counts, edge_gen, profile, outbox (the followed user's slot).
/// ARGV: follower id, now (ms), cap, 'follow' or 'unfollow'.
/// Returns {applied (1 or 0), generation} plus, for an applied follow, the newest
/// `cap` profile entries [member, score, ...], read in the same step so no post
/// falls between. Not applied (already following, or not following) returns the
/// current generation, so the caller can bring the other side in line with it.
pub static FOLLOW_TARGET: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local following = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (ARGV[4] == 'follow') == (following ~= false) then
  return {0, tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')}
end
local generation = redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
redis.call('HSET', KEYS[5], ARGV[1] .. ':' .. generation, ARGV[4] .. ':' .. ARGV[2])
if ARGV[4] == 'follow' then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
  redis.call('HINCRBY', KEYS[2], 'followers', 1)
  return {1, generation, redis.call('ZREVRANGE', KEYS[4], 0, tonumber(ARGV[3]) - 1, 'WITHSCORES')}
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[2], 'followers', -1)
return {1, generation}
",
    )
});

/// The follower's side: the following set and counter and the home timeline.
/// Applies only a generation newer than the last one applied, so concurrent
/// follow/unfollow of one pair end with both sides agreeing.
/// KEYS: following, counts, seen_gen, home (the follower's slot).
/// ARGV: followed id, generation, now (ms), cap, 'follow' or 'unfollow',
/// the followed user's member prefix, then [member, score, ...] to copy home.
/// Returns 1 if applied, 0 if a newer change was already applied.
pub static FOLLOW_SOURCE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local last = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
if tonumber(ARGV[2]) <= last then return 0 end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
if ARGV[5] == 'follow' then
  if redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]) == 1 then
    redis.call('HINCRBY', KEYS[2], 'following', 1)
  end
  for i = 7, #ARGV, 2 do redis.call('ZADD', KEYS[4], ARGV[i + 1], ARGV[i]) end
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -(tonumber(ARGV[4]) + 1))
else
  if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
    redis.call('HINCRBY', KEYS[2], 'following', -1)
  end
  local prefix = ARGV[6]
  for _, m in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
    if string.sub(m, 1, #prefix) == prefix then redis.call('ZREM', KEYS[4], m) end
  end
end
return 1
",
    )
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

/// Adds a status to one follower's home timeline if they still follow its
/// author, trimming the timeline to the cap. Fan-out pipelines send it as
/// EVALSHA and load it when Redis answers NOSCRIPT.
/// KEYS: home, following (the follower's slot). ARGV: author id, status id,
/// member, cap. Returns 1 if added.
pub static HOME_ADD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[4]) + 1))
return 1
",
    )
});

/// Queues a home refill unless one for that user is queued and not started
/// yet (which will read the follows as they are when it starts): one user's
/// follow and unfollow storm costs one refill, not one per unfollow.
/// KEYS: refills (set of users with a refill waiting), jobs. ARGV: user id,
/// then the job's [field, value, ...]. Returns 1 if queued.
pub static QUEUE_REFILL: LazyLock<Script> = LazyLock::new(|| {
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
/// runs must not bring its statuses back), then trims to the cap.
/// KEYS: home, following (the owner's slot). ARGV: cap, owner id, then
/// [author id, member, score, ...]. Returns how many were added.
pub static REFILL_ADD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local added = 0
for i = 3, #ARGV, 3 do
  if ARGV[i] == ARGV[2] or redis.call('ZSCORE', KEYS[2], ARGV[i]) then
    added = added + redis.call('ZADD', KEYS[1], ARGV[i + 2], ARGV[i + 1])
  end
end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[1]) + 1))
return added
",
    )
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
