"""The mining and abuse guard as a hub-managed service: scans servers, stops miners, alerts champions."""
