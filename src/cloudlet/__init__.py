"""Cloudlet: a self-hosted media asset server that speaks Cloudinary's protocol."""

__version__ = "0.1.0"
