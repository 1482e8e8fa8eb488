"""German text knowledge used at ingest and at question time: words, stems, compounds, times."""
