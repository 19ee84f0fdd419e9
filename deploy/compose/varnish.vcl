# deploy/varnish/cloudlet.vcl for deploy/compose/compose.yaml, made by
# tests/test_deploy.py:compose_vcl (which checks this file is still exactly that):
# a round-robin director over the nodes instead of one backend, and the worker, which
# runs the CDN invalidation jobs, as the only address allowed to purge.
vcl 4.1;

import directors;
import std;

backend cloudlet1 {
    .host = "cloudlet1";
    .port = "8000";
    .probe = {
        .url = "/readyz";
        .interval = 5s;
        .timeout = 2s;
        .window = 5;
        .threshold = 3;
    }
}

backend cloudlet2 {
    .host = "cloudlet2";
    .port = "8000";
    .probe = {
        .url = "/readyz";
        .interval = 5s;
        .timeout = 2s;
        .window = 5;
        .threshold = 3;
    }
}

sub vcl_init {
    new nodes = directors.round_robin();
    nodes.add_backend(cloudlet1);
    nodes.add_backend(cloudlet2);
}

# Runs before the shipped vcl_recv below (Varnish joins subroutines of one name).
sub vcl_recv {
    set req.backend_hint = nodes.backend();
}

acl purgers {
    "172.28.0.20";  # the worker (compose.yaml)
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
