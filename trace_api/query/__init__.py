"""Query: `/v1/events` by Event Hash ID and by EPCIS 2.0 query parameters."""
