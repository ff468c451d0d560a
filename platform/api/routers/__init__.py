"""One router per resource: datasets, dataset jobs, challenges, teams, submissions,
leaderboards, the audit log (with ``/me``) and users."""
