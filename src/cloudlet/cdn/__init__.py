"""cdn package."""
