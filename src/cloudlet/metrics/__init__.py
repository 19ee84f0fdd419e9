"""Metrics shared by the processes of one server: slots in memory-mapped files, summed when scraped."""
