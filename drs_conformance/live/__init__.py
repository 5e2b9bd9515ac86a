"""What a run does to a target's jobs (target, control API, jobs, journal, put-back); imports only contract and transport."""
