#!/usr/bin/env python3
"""Token issuer for the test bed's token-auth registry (Docker registry token authentication).

The registry (CNCF distribution, auth: token) answers 401 with
  WWW-Authenticate: Bearer realm="<this server>/token",service="<service>",scope="repository:r:pull"
and clients fetch a JWT here:
  GET  /token?service=S&scope=repository:r:pull,push[&scope=...]   (HTTP Basic credentials, optional)
  POST /token  (OAuth2 form: grant_type=password, username, password, service, scope)
Response: {"token", "access_token", "expires_in", "issued_at"}.

Users come from a JSON file {"name": {"password": "...", "actions": ["pull", "push", "delete"]}}.
Granted actions are the requested ones that the user holds, on any repository; `*` in the file
grants everything requested. Anonymous requests get a valid token with an empty access list, so
the registry still says 401 (insufficient_scope) - as Docker Hub does for private repositories.
Wrong credentials get 401 here.

The JWT is RS256-signed with a key whose certificate travels in the `x5c` header; the registry
verifies that chain against its `rootcertbundle` (distribution v3 registry/auth/token/token.go),
then checks iss, aud (= service), exp and nbf (60 s leeway) and the `access` claim.
Signing uses the openssl command line, so only the Python standard library is needed.
"""

import argparse
import base64
import datetime
import hmac
import json
import secrets
import subprocess
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN_LIFETIME_SECONDS = 300


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Issuer:
    def __init__(self, args):
        self.issuer = args.issuer
        self.service = args.service
        self.key_path = args.key
        with open(args.users, encoding="utf-8") as f:
            self.users = json.load(f)
        pem = open(args.cert, encoding="ascii").read()
        body = "".join(line for line in pem.splitlines() if line and not line.startswith("-----"))
        self.x5c = [body]  # standard base64 DER, as RFC 7515 section 4.1.6 asks

    def authenticate(self, username, password):
        """Returns (ok, username); username None means anonymous."""
        if username is None:
            return True, None
        user = self.users.get(username)
        if user is None or not hmac.compare_digest(user["password"], password or ""):
            return False, None
        return True, username

    def grant(self, username, scopes):
        allowed = set(self.users[username]["actions"]) if username else set()
        access = []
        for scope in scopes:
            parts = scope.split(":")
            if len(parts) < 3:
                continue
            # The name may contain ':' only in theory (a registry host with port); keep the middle.
            rtype, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1].split(",")
            if rtype == "registry" and name == "catalog":
                granted = actions if allowed & {"*", "catalog"} else []
            elif rtype == "repository":
                granted = actions if "*" in allowed else [a for a in actions if a in allowed]
            else:
                granted = []
            if granted:
                access.append({"type": rtype, "name": name, "actions": sorted(set(granted))})
        return access

    def sign(self, subject, access, service):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": self.x5c}
        claims = {
            "iss": self.issuer,
            "sub": subject or "",
            "aud": service,
            "exp": now + TOKEN_LIFETIME_SECONDS,
            "nbf": now - 1,
            "iat": now,
            "jti": secrets.token_hex(16),
            "access": access,
        }
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key_path],
                                   input=signing_input.encode(), capture_output=True,
                                   check=True).stdout
        return signing_input + "." + b64url(signature), now


def make_handler(issuer: Issuer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # never logs credentials: only the request line
            sys.stderr.write("token-issuer: %s %s\n" % (self.address_string(), fmt % args))

        def reply(self, code, body, extra_headers=()):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra_headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def basic_credentials(self):
            header = self.headers.get("Authorization", "")
            if not header.lower().startswith("basic "):
                return None, None
            try:
                decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return "", ""
            username, _, password = decoded.partition(":")
            return username, password

        def issue(self, username, password, service, scopes):
            if service != issuer.service:
                self.reply(400, {"errors": [{"code": "UNSUPPORTED", "message":
                                             "unknown service %r, this issuer serves %r" % (service, issuer.service)}]})
                return
            ok, subject = issuer.authenticate(username, password)
            if not ok:
                self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "invalid username or password"}]},
                           [("WWW-Authenticate", 'Basic realm="werf-testbed-token-issuer"')])
                return
            token, now = issuer.sign(subject, issuer.grant(subject, scopes), service)
            issued_at = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.reply(200, {"token": token, "access_token": token,
                             "expires_in": TOKEN_LIFETIME_SECONDS, "issued_at": issued_at})

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/healthz":
                self.reply(200, {"status": "ok"})
                return
            if url.path != "/token":
                self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
                return
            query = urllib.parse.parse_qs(url.query)
            scopes = [s for value in query.get("scope", []) for s in value.split(" ") if s]
            username, password = self.basic_credentials()
            self.issue(username, password, query.get("service", [""])[0], scopes)

        def do_POST(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path != "/token":
                self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
                return
            length = int(self.headers.get("Content-Length", "0") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8"))
            if form.get("grant_type", [""])[0] != "password":
                self.reply(400, {"error": "unsupported_grant_type"})
                return
            scopes = [s for value in form.get("scope", []) for s in value.split(" ") if s]
            self.issue(form.get("username", [""])[0], form.get("password", [""])[0],
                       form.get("service", [""])[0], scopes)

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="host:port")
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--key", required=True, help="PEM RSA private key that signs tokens")
    parser.add_argument("--cert", required=True, help="PEM certificate of that key (sent as x5c)")
    parser.add_argument("--users", required=True, help="JSON users file")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    server = ThreadingHTTPServer((host, int(port)), make_handler(Issuer(args)))
    server.daemon_threads = True
    sys.stderr.write("token-issuer: listening on http://%s\n" % args.listen)
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
