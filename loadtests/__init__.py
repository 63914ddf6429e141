"""Locust load tests and the SLA gate (see loadtests/README in docs/deploy.md#load-gate)."""
