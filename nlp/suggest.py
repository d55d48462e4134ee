def suggest_topics(*a, **k): return []
