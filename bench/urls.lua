-- wrk script: requests the URLs of the file named by URLS (one path per line) in order, each
-- thread starting at its own offset, and reports p50/p99 latency and the status counts.
local paths = {}
local counter = 0
local statuses = {}

function init(args)
  for line in io.lines(os.getenv("URLS")) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  counter = math.floor(#paths * (wrk.thread_id or 0) / 32)
end

function setup(thread)
  thread_id = (thread_id or 0) + 1
  thread:set("thread_id", thread_id)
end

function request()
  counter = counter + 1
  if counter > #paths then counter = 1 end
  return wrk.format("GET", paths[counter])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
