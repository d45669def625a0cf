-- wrk script of bench/submit.py: one form POST to the bare insert app (bench/bare_insert.py).
wrk.method = "POST"
wrk.body = "body=Association+d%27un+compte+Zoom"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
