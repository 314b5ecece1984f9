"""What every page and API call shares: the API blueprint and its OpenAPI document (api.py),
file downloads (downloads.py), limits on what a request may carry (input_limits.py) and the
security headers of every response (security_headers.py)."""
