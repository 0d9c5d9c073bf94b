-- wrk script of the activation scenarios; every request varies serial and fingerprint.
--
--   wrk -t1 -c64 -d20s -s bench/wrk/activation.lua http://127.0.0.1:8080 -- MODE FILE SALT [RATE]
--
-- MODE   cold:     FILE lists unused SP3 serials; each takes three distinct machines
--        hot:      FILE's first line is one TRIAL100K serial; every request is a new machine
--        reactivate / validate: FILE lists "serial fingerprint" pairs already activated
--        validate-license: FILE lists licenses, one a line (validation as the SDK sends it)
--        ceiling:  as cold, against the HTTP-ceiling endpoint
-- SALT   8 hex digits that make this run's machines distinct from every other run's
-- RATE   optional: requests per second over all connections (paced, for the latency target)
--
-- done() prints one JSON line that bench/run.py reads.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]]
local now_ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, now_ts)
  return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
end

local thread_count = 0
local threads = {}

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

local mode, salt, path
local serials, fingerprints = {}, {}
local counter = 0
local interval, next_at = 0, nil

function init(args)
  mode, path, salt = args[1], args[2], args[3] or "00000000"
  local rate = tonumber(args[4] or "0")
  for line in io.lines(path) do
    local serial, fp = line:match("^(%S+)%s*(%S*)")
    if serial then
      serials[#serials + 1] = serial
      fingerprints[#fingerprints + 1] = fp
    end
  end
  if #serials == 0 then
    error("no serials in " .. path)
  end
  threads_total = tonumber(os.getenv("BENCH_WRK_THREADS") or "1")
  if rate > 0 then
    -- One schedule per thread, shared by its connections: RATE per second over all threads.
    interval = 1000 * threads_total / rate
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  local validation = mode == "validate" or mode == "validate-license"
  wrk.path = validation and "/v1/validations" or "/v1/activations"
end

local function machine(n)
  return string.format("%s%08x%08x%s", salt, tid, n, "0000000000000000000000000000000000000000")
end

local CLIENT = '"product":"BENCH","client":{"app":"bench","version":"1.0","os":"linux"}'

function request()
  counter = counter + 1
  local serial, fp
  if mode == "cold" or mode == "ceiling" then
    -- Thread t takes serials t, t+T, t+2T, ... three machines each, so threads never collide.
    local slot = math.floor((counter - 1) / 3)
    local index = (tid + slot * threads_total) % #serials + 1
    serial, fp = serials[index], machine(counter)
  elseif mode == "hot" then
    serial, fp = serials[1], machine(counter)
  else
    local index = (tid + (counter - 1) * threads_total) % #serials + 1
    serial, fp = serials[index], fingerprints[index]
  end
  local body
  if mode == "validate-license" then
    body = '{"license":"' .. serial .. '"}'
  elseif mode == "validate" then
    body = '{"serial":"' .. serial .. '","fingerprint":"' .. fp .. '"}'
  else
    body = '{"serial":"' .. serial .. '","fingerprint":"' .. fp .. '",' .. CLIENT .. '}'
  end
  return wrk.format(nil, nil, nil, body)
end

function delay()
  if interval <= 0 then
    return 0
  end
  -- Called before each request of this thread: it takes the next free slot of the schedule,
  -- so one slow answer does not lower the rate offered by the other connections.
  local t = now_ms()
  if next_at == nil or next_at < t - 1000 then
    next_at = t
  end
  next_at = next_at + interval
  local wait = next_at - t
  if wait < 0 then
    return 0
  end
  return wait
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, errors.status, errors.connect,
    errors.read, errors.write, errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
