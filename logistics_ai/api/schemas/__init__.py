"""Request and response bodies of the REST API: one module per resource.

Rules of the house (checked by tests/integration/test_api_schemas.py):
- every OpenAPI component name is unique and readable (no module-path names);
- responses are built with `Model.model_validate(obj, from_attributes=True)` from the
  service's object, never by copying fields one by one; a field whose service name or shape
  differs says so once, on the field (a validation alias or a `mode="before"` validator);
- a service's request model is the API body where it is the contract (`ShipmentCreate`,
  `Registration`, `NewApiKey`, `Invite`, `PingBatch`, `OptimizeRequest`);
- lists are `Page[Item]`; every string and list has a limit.
"""
