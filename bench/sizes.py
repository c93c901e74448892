"""Size and deflate-zipped size (as a Lambda deployment package) of each bootstrap."""
import io
import json
import os
import sys
import zipfile

out = {}
for path in sys.argv[1:]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        with open(path, "rb") as f:
            z.writestr(info, f.read(), zipfile.ZIP_DEFLATED)
    arch = os.path.basename(path).removeprefix("bootstrap-")
    out[arch] = {"bytes": os.path.getsize(path), "zipped_bytes": len(buf.getvalue())}
print(json.dumps(out, indent=2))
