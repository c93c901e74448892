"""Print the benchmark figures against the targets."""
import json
import pathlib
import sys

out = pathlib.Path(sys.argv[1])
criterion = pathlib.Path(sys.argv[2])
sizes = json.loads((out / "sizes.json").read_text())
rt = json.loads((out / "runtime.json").read_text())
fan = json.loads((out / "fanout.json").read_text().strip().splitlines()[-1])
rss_n = next(v for k, v in rt.items() if k.startswith("peak_rss_kib_after_") and not k.endswith("_1"))

rows = []
def row(name, value, target, ok):
    rows.append((name, value, target, "yes" if ok else "NO"))

i = rt["init_ms"]
row("init, SSL_CERT_FILE set (median, p10-p90)", f"{i['median']:.2f} ms ({i['p10']:.2f}-{i['p90']:.2f}, n={i['n']})", "< 10 ms", i["median"] < 10)
d = rt["init_ms_by_variant"].get("default")
if d:
    row("init, SDK default roots (median)", f"{d['median']:.2f} ms ({d['p10']:.2f}-{d['p90']:.2f})", "-", True)
f = rt["first_invocation_ms"]
row("first invocation (median)", f"{f['median']:.2f} ms ({f['p10']:.2f}-{f['p90']:.2f})", "-", True)
w = rt["warm_invocation_ms"]
row("warm invocation (median)", f"{w['median']:.3f} ms ({w['p10']:.3f}-{w['p90']:.3f}, n={w['n']})", "-", True)
row("peak RSS after 1 invocation", f"{rt['peak_rss_kib_after_1'] / 1024:.1f} MiB", "-", True)
row("peak RSS after 1,000 invocations", f"{rss_n / 1024:.1f} MiB", "< 25 MB, no growth", rss_n * 1024 < 25e6)
for arch, s in sorted(sizes.items()):
    row(f"bootstrap {arch}", f"{s['bytes'] / 1e6:.2f} MB, zipped {s['zipped_bytes'] / 1e6:.2f} MB",
        "zipped arm64 < 4 MB" if arch == "arm64" else "-", arch != "arm64" or s["zipped_bytes"] < 4e6)
worst = 0.0
for est in sorted((criterion / "in_process").glob("*/new/estimates.json")):
    ns = json.loads(est.read_text())["median"]["point_estimate"]
    worst = max(worst, ns)
    row(f"in-process {est.parent.parent.name}", f"{ns / 1000:.1f} µs", "< 20 µs", ns < 20_000)
row("fan-out 10,000 items", f"{fan['median_ms']} ms vs ideal {fan['ideal_ms']} ms (x{fan['ratio']:.2f}, concurrency {fan['concurrency']})",
    "within 1.25x", fan["ratio"] <= 1.25)

width = max(len(r[0]) for r in rows)
vw = max(len(r[1]) for r in rows)
print(f"{'figure'.ljust(width)}  {'measured'.ljust(vw)}  target / met")
for name, value, target, ok in rows:
    print(f"{name.ljust(width)}  {value.ljust(vw)}  {target} / {ok}")
