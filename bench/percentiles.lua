-- wrk reporter for bench/topic_page.py: one machine-readable line with the request rate,
-- exact latency percentiles in milliseconds, and every kind of error wrk counts.
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "bench-result requests=%d seconds=%.3f p50=%.3f p95=%.3f p99=%.3f " ..
    "connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
