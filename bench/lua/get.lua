-- GET load for wrk, configured from the environment by bench/run.py:
--   BENCH_PATHS  comma-separated paths, one picked at random per request
--                (repeat a path to weight it)
--   BENCH_AUTH   access token(s) sent as "Authorization: Bearer ..." (optional;
--                comma-separated for several viewers, used in turn)
--   BENCH_ETAG   sent as If-None-Match (optional; comma-separated, one per token,
--                since a seat map's ETag depends on who looks at it)
-- done() prints one line "BENCHJSON {...}" with counts, latency percentiles
-- (microseconds) and responses by status.

local paths = {}
for p in string.gmatch(os.getenv("BENCH_PATHS") or "/", "[^,]+") do
  paths[#paths + 1] = p
end

local function split(s)
  local out = {}
  for item in string.gmatch(s or "", "[^,]+") do out[#out + 1] = item end
  return out
end

-- One header set per viewer: tokens[i] with etags[i].
local tokens, etags = split(os.getenv("BENCH_AUTH")), split(os.getenv("BENCH_ETAG"))
local viewers = {}
for i = 1, math.max(#tokens, 1) do
  local h = { ["Accept"] = "application/json" }
  if tokens[i] then h["Authorization"] = "Bearer " .. tokens[i] end
  if etags[i] then h["If-None-Match"] = etags[i] end
  viewers[i] = h
end

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
  math.randomseed(tid * 7919)
  reqs = {}
  for v, h in ipairs(viewers) do
    reqs[v] = {}
    for i, p in ipairs(paths) do reqs[v][i] = wrk.format("GET", p, h) end
  end
  turn = 0
end

function request()
  turn = turn % #reqs + 1
  local mine = reqs[turn]
  if #mine == 1 then return mine[1] end
  return mine[math.random(#mine)]
end

function response(status, hdrs, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("counts")) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do parts[#parts + 1] = string.format('"%d":%d', k, v) end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    table.concat(parts, ",")))
end
