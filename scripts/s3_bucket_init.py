#!/usr/bin/env python3
"""Create S3 buckets idempotently (and optionally self-test) using only the stdlib.

Used by scripts/services.sh so the test environment needs no aws CLI or SDK.
Requests are SigV4-signed and path-style, exactly like the app's S3 client
(S3_FORCE_PATH_STYLE=true), so a passing --self-test means the gateway really
accepts the credentials the app will use.

Usage:
  s3_bucket_init.py [--endpoint URL] [--region R] [--self-test] BUCKET...
Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
"""

import argparse
import datetime
import hashlib
import hmac
import os
import sys
import urllib.error
import urllib.parse
import urllib.request


def _sign(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def request(method, endpoint, region, access, secret, path, body=b"", query=""):
    """Send one SigV4-signed request; return (status, body) without raising on HTTP errors."""
    url = urllib.parse.urlsplit(endpoint)
    host = url.netloc
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = now.strftime("%Y%m%d")
    payload_hash = hashlib.sha256(body).hexdigest()
    # S3 canonical URIs are encoded once (unlike other AWS services).
    canonical_uri = urllib.parse.quote(path, safe="/-_.~")
    headers = {"host": host, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
    signed_headers = ";".join(sorted(headers))
    canonical_headers = "".join(f"{k}:{headers[k]}\n" for k in sorted(headers))
    canonical_request = "\n".join(
        [method, canonical_uri, query, canonical_headers, signed_headers, payload_hash]
    )
    scope = f"{day}/{region}/s3/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _sign(("AWS4" + secret).encode(), day)
    for part in (region, "s3", "aws4_request"):
        key = _sign(key, part)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    del headers["host"]  # urllib sets it from the URL; a duplicate would break the signature
    full = f"{url.scheme}://{host}{canonical_uri}" + (f"?{query}" if query else "")
    req = urllib.request.Request(full, data=body if method in ("PUT", "POST") else None,
                                 method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def ensure_bucket(args, bucket):
    call = lambda m, p, **kw: request(m, args.endpoint, args.region, args.access, args.secret, p, **kw)
    status, _ = call("HEAD", f"/{bucket}")
    if status == 200:
        return "exists"
    status, body = call("PUT", f"/{bucket}")
    if status == 200:
        return "created"
    # A concurrent creator may have won the race; that is fine as long as we can use it.
    if status == 409 and call("HEAD", f"/{bucket}")[0] == 200:
        return "exists"
    raise SystemExit(f"create bucket {bucket}: HTTP {status}: {body.decode(errors='replace')}")


def self_test(args, bucket):
    call = lambda m, p, **kw: request(m, args.endpoint, args.region, args.access, args.secret, p, **kw)
    key = f"/{bucket}/.mediaflow-selftest/hello world+{os.getpid()}.txt"
    data = os.urandom(64) + b"mediaflow"
    status, body = call("PUT", key, body=data)
    if status != 200:
        raise SystemExit(f"self-test PutObject: HTTP {status}: {body.decode(errors='replace')}")
    status, got = call("GET", key)
    if status != 200 or got != data:
        raise SystemExit(f"self-test GetObject: HTTP {status}, {len(got)} bytes, match={got == data}")
    status, body = call("GET", f"/{bucket}", query="list-type=2&prefix=.mediaflow-selftest%2F")
    if status != 200 or b"hello world" not in body:
        raise SystemExit(f"self-test ListObjectsV2: HTTP {status}: {body[:300]!r}")
    status, _ = call("DELETE", key)
    if status not in (200, 204):
        raise SystemExit(f"self-test DeleteObject: HTTP {status}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--endpoint", default=os.environ.get("S3_ENDPOINT", "http://127.0.0.1:9000"))
    p.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    p.add_argument("--self-test", action="store_true",
                   help="PUT/GET/LIST/DELETE an object in the first bucket")
    p.add_argument("buckets", nargs="+")
    args = p.parse_args()
    args.access = os.environ.get("AWS_ACCESS_KEY_ID", "minioadmin")
    args.secret = os.environ.get("AWS_SECRET_ACCESS_KEY", "minioadmin")
    results = [f"{b} {ensure_bucket(args, b)}" for b in args.buckets]
    if args.self_test:
        self_test(args, args.buckets[0])
        results.append("round-trip ok")
    print(", ".join(results))


if __name__ == "__main__":
    try:
        main()
    except (OSError, urllib.error.URLError) as err:
        sys.exit(f"s3_bucket_init: {err}")
