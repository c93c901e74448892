"""A stand-in for Inspector's code security scans, for the stateful phase of
scripts/check-openapi: the function, not in a dry run, starts scans here and
reads them back, so that the document's links (POST /scans -> GET
/scans/{projectId}/{scanId}, .../findings) lead to a scan that exists.

It keeps state as the service does: one scan per clientToken (a lowercase
UUID, as Inspector's scan ids are), found again by (projectId, scanId) and
SUCCESSFUL at once, with the same findings for every project; an unknown
scan is a 404 ResourceNotFoundException; no repository is covered (a
repository target is the function's 404 RepositoryNotFound). A sweep by
selector is sent to the sweep queue: SQS's SendMessageBatch is accepted
(nothing is listed on the caller's time, so no listing call comes). Any
other call is a 400 ValidationException: the stateful run sends no other.

Usage (from scripts/openapi_gateway.py): serve() -> the server; its URL is
the function's AWS_ENDPOINT_URL."""
import hashlib
import http.server
import json
import threading
import uuid


def serve():
    scans = {}  # clientToken -> (projectId, scanId)
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def reply(self, status, body, error=None):
            out = json.dumps(body).encode()
            self.send_response(status)
            if error:
                self.send_header("x-amzn-errortype", error)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
            if self.headers.get("x-amz-target") == "AmazonSQS.SendMessageBatch":
                return self.reply(200, {"Failed": [], "Successful": [
                    {"Id": e["Id"], "MessageId": str(uuid.uuid4()),
                     "MD5OfMessageBody": hashlib.md5(e["MessageBody"].encode()).hexdigest()}
                    for e in body["Entries"]]})
            project = (body.get("resource") or {}).get("projectId")
            if self.path == "/codesecurity/scan/start":
                with lock:
                    _, scan = scans.setdefault(body["clientToken"], (project, str(uuid.uuid4())))
                return self.reply(200, {"scanId": scan, "status": "IN_PROGRESS"})
            if self.path == "/codesecurity/scan/get":
                with lock:
                    known = (project, body.get("scanId")) in scans.values()
                if not known:
                    return self.reply(404, {"message": "no such scan"}, "ResourceNotFoundException")
                return self.reply(200, {
                    "scanId": body["scanId"], "resource": {"projectId": project},
                    "accountId": "123456789012", "status": "SUCCESSFUL",
                    "createdAt": 1795104000, "updatedAt": 1795104300,
                    "lastCommitId": "9fceb02d0ae598e95dc970b74767f19372d61af8"})
            if self.path == "/findings/aggregation/list":
                resource = body["aggregationRequest"]["codeRepositoryAggregation"]["resourceIds"][0]["value"]
                return self.reply(200, {"aggregationType": "CODE_REPOSITORY", "responses": [
                    {"codeRepositoryAggregation": {
                        "projectNames": "octo-org/api", "providerType": "GITHUB", "resourceId": resource,
                        "accountId": "123456789012",
                        "severityCounts": {"all": 9, "critical": 1, "high": 2, "medium": 3}}}]})
            if self.path == "/coverage/list":
                return self.reply(200, {"coveredResources": []})
            return self.reply(400, {"message": f"the stand-in does not serve {self.path}"},
                              "ValidationException")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
