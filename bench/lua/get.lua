-- GET load for wrk, configured from the environment by bench/run.py:
--   BENCH_PATHS  comma-separated paths, one picked at random per request
--                (repeat a path to weight it)
--   BENCH_AUTH   access token sent as "Authorization: Bearer ..." (optional)
--   BENCH_ETAG   sent as If-None-Match (optional)
-- done() prints one line "BENCHJSON {...}" with counts, latency percentiles
-- (microseconds) and responses by status.

local paths = {}
for p in string.gmatch(os.getenv("BENCH_PATHS") or "/", "[^,]+") do
  paths[#paths + 1] = p
end

local headers = { ["Accept"] = "application/json" }
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then headers["Authorization"] = "Bearer " .. auth end
local etag = os.getenv("BENCH_ETAG")
if etag and etag ~= "" then headers["If-None-Match"] = etag end

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
  math.randomseed(tid * 7919)
  reqs = {}
  for i, p in ipairs(paths) do reqs[i] = wrk.format("GET", p, headers) end
end

function request()
  if #reqs == 1 then return reqs[1] end
  return reqs[math.random(#reqs)]
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
