/**
 * The Lua scripts behind ConsumerProgress (consumer-progress.ts). Each runs atomically on one
 * group's keys, which share a hash tag and so one Redis Cluster slot.
 *
 * Fences: a member reads the cursors of the shardlets it holds with its assignment generations
 * (READ_HELD), and that read raises each shardlet's fence to the generation, in the same step. A
 * commit of an older generation is refused from then on: a member that lost a shardlet while its
 * commit was on the way can no longer move the cursor its successor continues from. Generations
 * only grow (the group counts them), so the fence never has to come down. A retired shardlet
 * (split or merged away) leaves a mark behind, and no commit writes its cursor again.
 */

// KEYS: cursor, since, fence, then the retired mark of each write. ARGV: n, then per write its
// shardlet, expected cursor ('' for none), next cursor, events processed, generation ('' for an
// unfenced write). Returns the fenced shardlets (nothing written), 0 when a cursor changed since it
// was read (nothing written: read again), or 1 when every cursor was written.
export const SET_CURSORS = `
local n = tonumber(ARGV[1])
local fenced = {}
for i = 0, n - 1 do
  local gen = ARGV[6 + i * 5]
  if gen ~= '' then
    local f = ARGV[2 + i * 5]
    local fence = tonumber(redis.call('HGET', KEYS[3], f) or '')
    if redis.call('EXISTS', KEYS[4 + i]) == 1 or (fence and fence > tonumber(gen)) then fenced[#fenced + 1] = f end
  end
end
if #fenced > 0 then return fenced end
for i = 0, n - 1 do
  local cur = redis.call('HGET', KEYS[1], ARGV[2 + i * 5])
  local want = ARGV[3 + i * 5]
  if (cur == false and want ~= '') or (cur ~= false and cur ~= want) then return 0 end
end
for i = 0, n - 1 do
  local f = ARGV[2 + i * 5]
  redis.call('HSET', KEYS[1], f, ARGV[4 + i * 5])
  local p = tonumber(ARGV[5 + i * 5])
  if p > 0 then redis.call('HINCRBY', KEYS[2], f, p) end
  local gen = ARGV[6 + i * 5]
  if gen ~= '' then
    local fence = tonumber(redis.call('HGET', KEYS[3], f) or '')
    if not fence or fence < tonumber(gen) then redis.call('HSET', KEYS[3], f, gen) end
  end
end
return 1`;

// KEYS: cursor, fence, then the retired mark of each shardlet. ARGV: pairs of shardlet and
// generation. Raises each fence to the generation (a retired shardlet gets none: nothing would
// remove it), and returns the cursors in ARGV's order (nil where Redis has none).
export const READ_HELD = `
local out = {}
for i = 1, #ARGV / 2 do
  local f = ARGV[i * 2 - 1]
  local gen = ARGV[i * 2]
  if redis.call('EXISTS', KEYS[2 + i]) == 0 then
    local fence = tonumber(redis.call('HGET', KEYS[2], f) or '')
    if not fence or fence < tonumber(gen) then redis.call('HSET', KEYS[2], f, gen) end
  end
  out[i] = redis.call('HGET', KEYS[1], f)
end
return out`;

// Processing time as an EWMA over polls, weighted by how many events each poll reports.
export const STATS = `
local events = tonumber(ARGV[1])
local ms = tonumber(ARGV[2])
if events <= 0 then return 0 end
local per = ms / events
local cur = tonumber(redis.call('HGET', KEYS[1], 'msPerEvent') or '')
local w = math.min(1, events / 1000)
if cur then per = cur + (per - cur) * math.max(w, 0.05) end
redis.call('HSET', KEYS[1], 'msPerEvent', tostring(per))
return 1`;
