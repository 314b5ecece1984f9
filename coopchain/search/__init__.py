"""One search box for the whole registry: producers, lots, bags, tickets and shipments."""
