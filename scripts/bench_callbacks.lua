-- wrk script of P4 (`make bench`): POST distinct, correctly signed Clicksign webhook bodies.
-- Usage: wrk -t2 -c16 -d8s -s scripts/bench_callbacks.lua <url> -- <bodies file> <threads>
-- The bodies file has one "<Content-Hmac>\t<raw body>" line per delivery (written by
-- scripts/bench.py); thread k of n sends lines k, k+n, k+2n, ... and reports in done() whether
-- it had to wrap around (a wrapped run re-sends bodies: duplicates).
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  sigs, bodies, sent = {}, {}, 0
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == tid then
      local tab = line:find("\t", 1, true)
      sigs[#sigs + 1] = line:sub(1, tab - 1)
      bodies[#bodies + 1] = line:sub(tab + 1)
    end
    i = i + 1
  end
  count = #bodies
end

function request()
  sent = sent + 1
  local n = (sent - 1) % count + 1
  return wrk.format("POST", nil,
    {["Content-Type"] = "application/json", ["Content-Hmac"] = sigs[n]}, bodies[n])
end

function done(summary, latency, requests)
  local wrapped = 0
  for _, thread in ipairs(threads) do
    if thread:get("sent") > thread:get("count") then wrapped = 1 end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"non2xx":%d,"socket_errors":%d,"timeouts":%d,"wrapped":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write, e.timeout,
    wrapped))
end
