"""The city-management domain: what the diagrams call into, forms, org, cases, calendar."""
