"""Results for people and tools: tables, JSON and figures."""
