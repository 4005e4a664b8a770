"""Help sessions by consent: people share their server with the champions for a while; champions open it here."""
