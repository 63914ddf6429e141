"""The AI layer: a guarded Groq client, plain-words booking, the dispatcher copilot,
late-risk explanations and the daily briefing. Every feature has a deterministic offline
path, and every answer says which path produced it (`source`)."""
