# Sends one request signed by botocore's own SigV4 signer (SigV4Auth + AWSRequest) and botocore's
# HTTP session, for test/e2e/sigv4-clients.test.ts. Reads a JSON request on stdin, prints the answer as JSON.
import json
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.httpsession import URLLib3Session

spec = json.load(sys.stdin)
body = spec.get("body")
headers = {"Content-Type": "application/json"} if body is not None else {}
request = AWSRequest(method=spec["method"], url=spec["url"], data=body, headers=headers)
SigV4Auth(Credentials(spec.get("accessKeyId", "111111111111"), spec.get("secretAccessKey", "x")), "execute-api", "us-east-1").add_auth(request)

# Tampering happens after signing, as a man in the middle would do it.
tamper = spec.get("tamper")
if tamper == "signature":
    auth = request.headers["Authorization"]
    request.headers.replace_header("Authorization", auth[:-1] + ("0" if auth[-1] != "0" else "1"))
elif tamper == "body":
    request.data = spec["tamperedBody"]

prepared = request.prepare()
response = URLLib3Session().send(prepared)
text = response.content.decode("utf-8")
print(json.dumps({
    "status": response.status_code,
    "errorType": response.headers.get("x-amzn-errortype"),
    "body": json.loads(text) if text else None,
    "signedHeaders": request.headers["Authorization"].split("SignedHeaders=")[1].split(",")[0],
}))
