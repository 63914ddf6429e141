"""Page functions, registered on the app in logistics_ai/logistics_ai.py."""
