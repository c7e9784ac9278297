-- wrk script for `npm run bench`: sends Q (POST, JSON) with the bench token and checks
-- EVERY response against the body the harness verified before the load (deep-compared with
-- the ceiling's data). Yoga answers 200 with {"errors": ...}: a broken server must not look
-- fast. Inputs come from the environment: BENCH_REQUEST_FILE, BENCH_EXPECTED_FILE, BENCH_TOKEN.
-- done() prints one line, "BENCH_RESULT {json}", that bench/wrk.ts parses.

local function read(path)
  local file = assert(io.open(path, "rb"))
  local content = file:read("*a")
  file:close()
  return content
end

wrk.method = "POST"
wrk.body = read(os.getenv("BENCH_REQUEST_FILE"))
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
local expected = read(os.getenv("BENCH_EXPECTED_FILE"))

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  responses = 0
  ok = 0
  non200 = 0
  error_bodies = 0
  mismatches = 0
end

function response(status, headers, body)
  responses = responses + 1
  if status == 200 and body == expected then
    ok = ok + 1
  elseif body and string.find(body, '"errors"', 1, true) then
    error_bodies = error_bodies + 1
  elseif status ~= 200 then
    non200 = non200 + 1
  else
    mismatches = mismatches + 1
  end
end

function done(summary, latency, requests)
  local totals = { responses = 0, ok = 0, non200 = 0, error_bodies = 0, mismatches = 0 }
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + (thread:get(name) or 0)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
    '"latency_mean_us":%.1f,"latency_max_us":%d,"p50_us":%d,"p90_us":%d,"p95_us":%d,"p99_us":%d,' ..
    '"responses":%d,"ok":%d,"non200":%d,"error_bodies":%d,"mismatches":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99),
    totals.responses, totals.ok, totals.non200, totals.error_bodies, totals.mismatches))
end
