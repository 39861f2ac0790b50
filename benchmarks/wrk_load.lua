-- wrk script: replays pre-signed POSTs from a file, each once (or cycling, for a baseline that
-- keeps no state), and prints the run's figures as one JSON line for benchmarks/wrk.py.
--
-- args: <requests file> <threads> <once|cycle>
-- Each line of the file: path TAB body TAB header=value TAB header=value ...
-- (bodies are form-encoded and signatures base64, so neither holds a TAB or a newline).

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_usec; } timeval;
  int gettimeofday(timeval *tv, void *tz);
]]
local tv = ffi.new("timeval")

-- Microseconds, wall clock: wrk's own duration is its -d (its main thread sleeps that long even
-- when every thread has stopped), so a run that ends when its requests run out is timed here.
local function now_us()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000000 + tonumber(tv.tv_usec)
end

local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function split(line)
  local out = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(out, field)
  end
  return out
end

function init(args)
  local nthreads = tonumber(args[2])
  done_file = args[1] .. ".done." .. tid
  cycle = args[3] == "cycle"
  reqs = {}
  local i = 0
  for line in io.lines(args[1]) do
    -- Thread k takes lines k, k+n, k+2n...: no two threads send the same request.
    if i % nthreads == tid then
      local f = split(line)
      local headers = {}
      for j = 3, #f do
        local name, value = f[j]:match("^([^=]+)=(.*)$")
        if name then headers[name] = value end
      end
      table.insert(reqs, wrk.format("POST", f[1], headers, f[2]))
    end
    i = i + 1
  end
  sent = 0
  answered = 0
  exhausted = 0
end

function request()
  if sent == 0 then
    first_us = now_us()
  end
  sent = sent + 1
  if sent > #reqs then
    if cycle then
      return reqs[((sent - 1) % #reqs) + 1]
    end
    -- Out of fresh requests: repeat the last one (an idempotent replay) until the connection's
    -- answer stops this thread; at most one per connection, and counted.
    exhausted = exhausted + 1
    return reqs[#reqs]
  end
  return reqs[sent]
end

function response(status, headers, body)
  answered = answered + 1
  last_us = now_us()
  if not cycle and answered >= #reqs and not stopped then
    stopped = true
    -- Tell benchmarks/wrk.py this thread is finished, so it can end the run (SIGINT) now.
    local f = io.open(done_file, "w")
    f:write("done\n")
    f:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local replays = 0
  local first, last = nil, nil
  for _, thread in ipairs(threads) do
    replays = replays + (thread:get("exhausted") or 0)
    local f, l = thread:get("first_us"), thread:get("last_us")
    if f and (first == nil or f < first) then first = f end
    if l and (last == nil or l > last) then last = l end
  end
  local elapsed = (first and last) and (last - first) or summary.duration
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "replays": %d, "errors": {"connect": %d, ' ..
    '"read": %d, "write": %d, "status": %d, "timeout": %d}, "latency_us": {"p50": %d, ' ..
    '"p90": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, elapsed, replays, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
