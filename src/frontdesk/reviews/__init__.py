"""Product reviews by buyers: written from a signed link or the API, moderated, published."""
