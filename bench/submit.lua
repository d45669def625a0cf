-- wrk script of bench/submit.py: POST the Zoom licence form as a signed-in requester.
-- The session cookie and CSRF token come from a real login and GET of the form, sent with the
-- login's User-Agent (environment: DESK_COOKIE, DESK_CSRF, DESK_AGENT); each POST carries a
-- one-time token of its own, as each GET of the form would give one, so every request creates
-- a ticket (a reused token would only redirect).
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local function escape(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local path = "/catalogue/licence-zoom"
local headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Cookie"] = os.getenv("DESK_COOKIE"),
  -- The agent the session was signed in with, as a browser sends it on every request.
  ["User-Agent"] = os.getenv("DESK_AGENT"),
}
local fixed = "csrf_token=" .. escape(os.getenv("DESK_CSRF"))
  .. "&zoom_email=claire.martin%40umontpellier.fr&account_created=y&kb_checked=1"
local run = os.getenv("DESK_RUN") or "0"

function request()
  counter = counter + 1
  local token = "bench-" .. run .. "-" .. tid .. "-" .. counter
  return wrk.format("POST", path, headers, fixed .. "&idempotency_token=" .. token)
end
