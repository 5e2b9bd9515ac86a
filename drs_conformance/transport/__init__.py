"""One HTTP client and what it carries (credentials, signing, redaction, rate, concurrency); imports only contract."""
