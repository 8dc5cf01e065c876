-- wrk script for bench/*.py: prints the run as one JSON line (prefixed BENCH_JSON) so Python
-- reads exact percentiles rather than wrk's rounded text. Optional script arguments after `--`:
-- a method and a JSON body (wrk ... -s wrk_report.lua URL -- POST '{"a":1}').

function init(args)
  if args[1] then
    wrk.method = args[1]
  end
  if args[2] then
    wrk.body = args[2]
    wrk.headers["Content-Type"] = "application/json"
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%.0f,"p90_us":%.0f,"p99_us":%.0f,' ..
    '"mean_us":%.1f,"max_us":%.0f,"errors":{"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
