"""Stand-ins and fixtures for running hubextras without network access."""
