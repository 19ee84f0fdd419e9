# Varnish in front of Cloudlet: caches deliveries, passes the API through, and accepts
# invalidations (PURGE and BAN) only from Cloudlet's own address.
#
#   varnishd -f /etc/varnish/cloudlet.vcl -a :80 -s malloc,1g
#   Cloudlet: CLOUDLET_CDN_INVALIDATOR=varnish CLOUDLET_CDN_URLS=http://varnish-host:80
#
# Edit the backend (where Cloudlet listens) and the "purgers" ACL (where Cloudlet's purge
# requests come from). See docs/cdn.md.
vcl 4.1;

import std;

backend cloudlet {
    .host = "127.0.0.1";
    .port = "8000";
}

acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        return (purge);
    }
    if (req.method == "BAN") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.X-Cloudlet-Ban) {
            return (synth(400, "X-Cloudlet-Ban missing"));
        }
        if (std.ban("obj.http.X-Cloudlet-Url ~ " + req.http.X-Cloudlet-Ban)) {
            return (synth(200, "Banned"));
        }
        return (synth(400, std.ban_error()));
    }
    # The Upload and Admin APIs are never cached.
    if (req.url ~ "^/(v1_1|v2)/" || (req.method != "GET" && req.method != "HEAD")) {
        return (pass);
    }
    # Deliveries use no cookies or credentials; keep them from splitting the cache.
    unset req.http.Cookie;
    unset req.http.Authorization;
    # f_auto answers vary on Accept, but only on whether it names AVIF or WebP: fold every
    # Accept header into one of three, so variants stay few (other URLs ignore Accept).
    if (req.url ~ "(^|[/,])f_auto") {
        if (req.http.Accept ~ "image/avif") {
            set req.http.Accept = "image/avif,image/webp,*/*";
        } elsif (req.http.Accept ~ "image/webp") {
            set req.http.Accept = "image/webp,*/*";
        } else {
            set req.http.Accept = "*/*";
        }
    } else {
        unset req.http.Accept;
    }
    return (hash);
}

sub vcl_hash {
    # Cloudlet's paths name the cloud: the Host header adds nothing.
    hash_data(req.url);
    return (lookup);
}

sub vcl_backend_response {
    # The URL on the object, for BAN expressions the ban lurker can evaluate.
    set beresp.http.X-Cloudlet-Url = bereq.url;
}

sub vcl_deliver {
    unset resp.http.X-Cloudlet-Url;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
