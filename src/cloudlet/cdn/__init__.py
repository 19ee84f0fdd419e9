"""CDN invalidation: the ``Invalidator`` role (``base``) and its backends.

``none`` (nothing in front of Cloudlet), ``varnish`` (HTTP ``BAN`` or ``PURGE`` to one or more
Varnish instances running ``deploy/varnish/cloudlet.vcl``), ``nginx`` (``PURGE`` to nginx with
the ``ngx_cache_purge`` module, ``deploy/nginx/cloudlet.conf``) and ``http`` (one JSON ``POST``
to a purge endpoint of your own). Only ``cloudlet.app`` picks one; the rest of the code sees
an ``Invalidator``. Which URLs are invalidated is decided elsewhere
(``cloudlet.delivery.invalidation``); backends only remove what they are given.
"""
