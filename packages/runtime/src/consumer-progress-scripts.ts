/**
 * The Lua scripts behind ConsumerProgress (consumer-progress.ts). Each runs atomically on one
 * group's keys, which share a hash tag and so one Redis Cluster slot.
 *
 * Fences: a member reads the cursors of the shardlets it holds with its assignment generations
 * (POLL_CURSORS' held shardlets), and that read raises each shardlet's fence to the generation, in
 * the same step. A commit of an older generation is refused from then on: a member that lost a shardlet while its
 * commit was on the way can no longer move the cursor its successor continues from. Generations
 * only grow (the group counts them), so the fence never has to come down. A retired shardlet
 * (split or merged away) leaves a mark behind, and no commit writes its cursor again.
 */

// One script for what a poll does to its group's cursors, so that a poll costs one command, not
// three (each Redis command was some 50-70 us of the edge's CPU in a profile of group polls).
// KEYS: cursor, since, fence, stats, then the retired mark of each write, then that of each held
// shardlet. ARGV: the number of writes n, of held shardlets m, the events and processing ms to
// record (0 events: none), then per write its shardlet, expected cursor ('' for none), next
// cursor, events processed and generation ('' for an unfenced write), then per held shardlet its
// id and generation.
//
// 1. The writes (compare-and-set, all or none): returns {'fenced', ...} with the fenced shardlets
//    (held at a newer generation or retired), or {'changed'} when a cursor changed since it was
//    read (read again and retry); nothing is stored then: no cursor, no figures, no fence.
// 2. The processing figures go into an EWMA over polls, weighted by how many events each reports.
// 3. The held shardlets' fences rise to their generations (a retired shardlet gets none: nothing
//    would remove it), and the answer is {'written', cursor...} with their cursors in ARGV's order
//    (nil where Redis has none).
export const POLL_CURSORS = `
local n = tonumber(ARGV[1])
local m = tonumber(ARGV[2])
local events = tonumber(ARGV[3])
local fenced = {'fenced'}
for i = 0, n - 1 do
  local gen = ARGV[9 + i * 5]
  if gen ~= '' then
    local f = ARGV[5 + i * 5]
    local fence = tonumber(redis.call('HGET', KEYS[3], f) or '')
    if redis.call('EXISTS', KEYS[5 + i]) == 1 or (fence and fence > tonumber(gen)) then fenced[#fenced + 1] = f end
  end
end
if #fenced > 1 then return fenced end
for i = 0, n - 1 do
  local cur = redis.call('HGET', KEYS[1], ARGV[5 + i * 5])
  local want = ARGV[6 + i * 5]
  if (cur == false and want ~= '') or (cur ~= false and cur ~= want) then return {'changed'} end
end
local function raise(f, gen)
  local fence = tonumber(redis.call('HGET', KEYS[3], f) or '')
  if not fence or fence < tonumber(gen) then redis.call('HSET', KEYS[3], f, gen) end
end
for i = 0, n - 1 do
  local f = ARGV[5 + i * 5]
  redis.call('HSET', KEYS[1], f, ARGV[7 + i * 5])
  local p = tonumber(ARGV[8 + i * 5])
  if p > 0 then redis.call('HINCRBY', KEYS[2], f, p) end
  local gen = ARGV[9 + i * 5]
  if gen ~= '' then raise(f, gen) end
end
if events > 0 then
  local per = tonumber(ARGV[4]) / events
  local cur = tonumber(redis.call('HGET', KEYS[4], 'msPerEvent') or '')
  local w = math.min(1, events / 1000)
  if cur then per = cur + (per - cur) * math.max(w, 0.05) end
  redis.call('HSET', KEYS[4], 'msPerEvent', tostring(per))
end
local out = {'written'}
local h = 5 + n * 5
for j = 0, m - 1 do
  local f = ARGV[h + j * 2]
  if redis.call('EXISTS', KEYS[5 + n + j]) == 0 then raise(f, ARGV[h + 1 + j * 2]) end
  out[j + 2] = redis.call('HGET', KEYS[1], f)
end
return out`;
