"""The domain's shared vocabulary: errors, who is acting, local time, input types.

Below security and services (both use it), above models and settings; it imports nothing
else from logistics_ai, so any layer can depend on it without a cycle.
"""
