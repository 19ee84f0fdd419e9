"""Queued work: eager_async renders, the background_removal add-on, webhook deliveries and
CDN invalidations.

``queue.HueyQueue`` puts jobs on a Huey queue (SQLite in the data dir, or Redis) and runs them
in a consumer: threads inside ``cloudlet serve`` or a separate ``cloudlet worker``. The job
bodies (``eager``, ``background_removal``, ``services.notifications.deliver``,
``invalidation``) are idempotent.
"""
