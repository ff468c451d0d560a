"""A challenge's leaderboards, one idea per module.

- ``ranking``: the ranked rows of a board, from stored scores (the rules are in
  ``odx.scoring.leaderboard``);
- ``visibility``: who may see which board;
- ``finals``: who may mark which submission final, and when;
- ``export``: a board as JSON or as spreadsheet-safe CSV;
- ``cache``: rendered boards kept in memory until something changes;
- ``progress``: the best score over time, for the chart;
- ``names`` and ``listings``: team and user names, and every submission for staff.
"""
