"""Metrics shared by the processes of one server: memory-mapped slots, summed when scraped."""
