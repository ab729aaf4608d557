-- wrk script for bench/gateway.sh: every request carries a User-Agent no earlier request had (a
-- desktop browser's, ~130 bytes, build numbers from the thread and a counter), so a bot detector's
-- cache never answers and every request runs its patterns.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local n = 0
function request()
  n = n + 1
  wrk.headers["User-Agent"] = string.format(
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.%d.%d.0 Safari/537.36",
    tid or 0, n)
  return wrk.format(nil)
end
