-- wrk script for bench_http.py: requests from the file named by BENCH_REQUESTS, one a line,
-- "METHOD<TAB>PATH<TAB>COOKIE<TAB>BODY" (cookie and body may be empty; a body is form-encoded), sent in turn.
-- A file of one-time requests (each final submit has its own draft) is used once: after its last line the
-- thread stops, so nothing is replayed. done() prints one line, "BENCH {json}", with the latency percentiles.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   requests = {}
   local once = os.getenv("BENCH_ONCE") == "1"
   for line in io.lines(os.getenv("BENCH_REQUESTS")) do
      local method, path, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {}
      if cookie ~= "" then headers["Cookie"] = cookie end
      if method == "POST" then headers["Content-Type"] = "application/x-www-form-urlencoded" end
      table.insert(requests, wrk.format(method, path, headers, body ~= "" and body or nil))
   end
   count = #requests
   index = 0
   used = 0
   stop_after = once and count or -1
end

function request()
   index = index % count + 1
   used = used + 1
   if used == stop_after then wrk.thread:stop() end
   return requests[index]
end

function done(summary, latency, requests)
   local used_total = 0
   for _, thread in ipairs(threads) do used_total = used_total + (thread:get("used") or 0) end
   io.write(string.format(
      'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %.1f, ' ..
      '"errors_status": %d, "errors_other": %d, "sent": %d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
      latency.mean, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write +
      summary.errors.timeout, used_total))
end
