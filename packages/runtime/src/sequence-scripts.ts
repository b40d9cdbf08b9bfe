/**
 * The Lua scripts behind SequenceAllocator (sequence.ts) and the Redis keys they work on. Each
 * script runs atomically on one stream's keys, which share a Redis Cluster slot.
 */

// Deadlines come from the Redis clock so that the edges' clocks never have to agree.
// (`replicate_commands` lets a script write after TIME on Redis before 5; a no-op since.)
const NOW = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

// The server check every script starts with. KEYS[n]: the stream's server key; ARGV[m]: the run id
// of the Redis server the caller verified its connection reaches. Counters kept by another server
// (a replica promoted by a failover, a restart from an older snapshot) may be behind what was
// handed out: -4 until a fresh reservation is installed for this server. A stream whose counters
// predate the key is taken over as it is.
const serverCheck = (key: number, arg: number, reply: string) => `
local srv = redis.call('GET', KEYS[${key}])
if srv and srv ~= ARGV[${arg}] then return ${reply} end
if not srv and redis.call('EXISTS', KEYS[1]) == 1 then redis.call('SET', KEYS[${key}], ARGV[${arg}]) end
`;

// KEYS: counter, ceiling, inflight, owners, server. ARGV: n, leaseMs, owner, server run id.
// Returns {-1} when the counter is missing (fresh or reset Redis), {-2, counter} when the numbers
// reserved so far cannot hold the block, {-4} when the counters are another server's, else {lo,
// hi, member}. Never hands out a number above the ceiling, and the ceiling only ever covers
// numbers already reserved in the control database.
export const ALLOCATE = `${NOW}
${serverCheck(5, 4, "{-4}")}local c = redis.call('GET', KEYS[1])
if not c then return {-1} end
local n = tonumber(ARGV[1])
local ceil = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(c) + n > ceil then return {-2, tonumber(c)} end
local hi = redis.call('INCRBY', KEYS[1], n)
local lo = hi - n + 1
local member = string.format('%d:%d:%s', lo, hi, ARGV[3])
redis.call('ZADD', KEYS[3], lo, member)
redis.call('HSET', KEYS[4], ARGV[3], now + tonumber(ARGV[2]))
return {lo, hi, member}
`;

// KEYS: counter, ceiling, hold, inflight, server. ARGV: base, mark of one reservation, (base, mark]
// being its own numbers; leaseMs; server run id; '1' for a takeover. Makes them the numbers Redis
// hands out next, unless a later reservation is already installed. Re-seeding a lost counter (base
// above 0) also sets the hold for one lease: the blocks in flight when Redis lost its data sit
// below the new counter until their writers' next renewals put them back, so until then no
// watermark is safe to give. Counters another server kept are taken over only with a reservation
// made after the caller saw the change (so above every number that server's copy could be behind
// on): the hold is set too, after dropping the blocks that copy lists in flight (some may have
// been released since it was taken, and would hold the watermark back for as long as their
// writers live; the writers' renewals put back the ones still being written). A lost counter is
// re-seeded only with a reservation made after the caller saw it missing (ARGV[6] '1', or a
// takeover): one made before the loss (a writer that ran out, its answer slow) may lie below
// numbers other writers were handed and wrote meanwhile, and readers past those would never see
// the events written below them; it is refused ({0, 2}) and the caller reserves again.
// Returns {installed, counterWasMissing}.
export const INSTALL = `
local c = redis.call('GET', KEYS[1])
if not c and ARGV[5] ~= '1' and ARGV[6] ~= '1' then return {0, 2} end
local ceil = tonumber(redis.call('GET', KEYS[2]) or '0')
local srv = redis.call('GET', KEYS[5])
if srv and srv ~= ARGV[4] then
  if ARGV[5] ~= '1' then return {0, 0} end
  redis.call('DEL', KEYS[4])
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
elseif c and tonumber(ARGV[2]) <= ceil then
  return {0, 0}
end
if not c or tonumber(c) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[5], ARGV[4])
if c then return {1, 0} end
if tonumber(ARGV[1]) > 0 then redis.call('SET', KEYS[3], '1', 'PX', ARGV[3]) end
return {1, 1}
`;

// KEYS: inflight, owners. ARGV: leaseMs, owner, then lo and member of each block it holds.
// Re-adding the blocks puts them back after Redis lost its data while they were being written.
// Returns the owner's other members in flight: the lease covers them too, so the caller removes
// those it will never write into (see BlockLeases.renew in sequence-leases.ts).
export const RENEW = `${NOW}
redis.call('HSET', KEYS[2], ARGV[2], now + tonumber(ARGV[1]))
local held = {}
for i = 3, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], 'NX', ARGV[i], ARGV[i + 1])
  held[ARGV[i + 1]] = true
end
local others = {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if not held[m] and string.match(m, '^%d+:%d+:(.+)$') == ARGV[2] then others[#others + 1] = m end
end
return others
`;

// KEYS: counter, inflight, owners, hold, server. ARGV: server run id. Drops blocks whose owner's
// lease ran out; returns the highest position below every block still in flight (or the counter
// when none is), -1 when the counter is missing, -3 while the hold after a re-seed lasts, -4 when
// the counters are another server's. A member of an older release ends in its own deadline
// instead of an owner.
export const WATERMARK = `${NOW}
${serverCheck(5, 1, "-4")}local c = redis.call('GET', KEYS[1])
if not c then return -1 end
if redis.call('EXISTS', KEYS[4]) == 1 then return -3 end
if redis.call('HLEN', KEYS[3]) > 64 then
  local all = redis.call('HGETALL', KEYS[3])
  for i = 1, #all, 2 do
    if tonumber(all[i + 1]) < now then redis.call('HDEL', KEYS[3], all[i]) end
  end
end
while true do
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if #first == 0 then return tonumber(c) end
  local owner = string.match(first[1], '^%d+:%d+:(.+)$') or ''
  local deadline
  if string.match(owner, '^%d+$') then
    deadline = tonumber(owner)
  else
    deadline = tonumber(redis.call('HGET', KEYS[3], owner) or '0')
  end
  if deadline >= now then return tonumber(first[2]) - 1 end
  redis.call('ZREM', KEYS[2], first[1])
  if owner ~= '' then redis.call('HDEL', KEYS[3], owner) end
end
`;

/**
 * A stream's keys share the hash tag `{streamId}`, so each script's keys are in one Redis Cluster
 * slot. These names must stay: a counter under a new name would be re-seeded from the control
 * database's mark above every number handed out (no duplicates, as after a Redis restart), but
 * during a rolling upgrade the old version's blocks in flight would sit under the old names, where
 * the new version's watermark does not see them, so readers could pass events still being
 * written. After a restart the renewals put blocks back; after a rename they cannot.
 */
export function sequenceKeys(prefix: string, streamId: string): { counter: string; ceiling: string; inflight: string; owners: string; hold: string; server: string } {
  const p = `${prefix}:seq:{${streamId}}`;
  return { counter: `${p}:n`, ceiling: `${p}:ceil`, inflight: `${p}:inflight`, owners: `${p}:owners`, hold: `${p}:hold`, server: `${p}:srv` };
}
