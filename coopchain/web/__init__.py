"""What every page and API call shares: the API blueprint and its OpenAPI document."""
