"""Live context: the systems of record (a CRM database, a staffing API) asked at answer time,
each rendered as one cited block of the prompt beside what the index retrieved."""
