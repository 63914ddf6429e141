"""Reusable UI pieces shared by the customer, driver and dispatch pages."""
