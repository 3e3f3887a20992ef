"""Use cases. Each opens one short unit of work and returns DTOs and a change set."""
