"""transform package."""
