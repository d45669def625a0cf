-- wrk script of bench/submit.py --django-helpdesk: POST django-helpdesk's public submission form.
-- The CSRF cookie and the form's csrfmiddlewaretoken come from a real GET of the form
-- (environment: DH_COOKIE, DH_CSRF; Django accepts a token for as long as its cookie holds);
-- DH_QUEUE is the public queue's id. Nothing makes a POST a duplicate: each creates a ticket.
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local function escape(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Cookie"] = os.getenv("DH_COOKIE"),
}
local fixed = "csrfmiddlewaretoken=" .. escape(os.getenv("DH_CSRF"))
  .. "&queue=" .. os.getenv("DH_QUEUE") .. "&priority=3"
  .. "&submitter_email=claire.martin%40umontpellier.fr"
  .. "&body=" .. escape("Merci d'associer une licence Zoom au compte"
  .. " claire.martin@umontpellier.fr (compte déjà créé).")
local run = os.getenv("DH_RUN") or "0"

function request()
  counter = counter + 1
  local title = escape("Licence Zoom " .. run .. "-" .. tid .. "-" .. counter)
  return wrk.format("POST", "/tickets/submit/", headers, fixed .. "&title=" .. title)
end
