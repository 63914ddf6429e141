"""Reflex state classes. Thin: each handler authenticates, calls a service, stores the view."""
