#!/usr/bin/env python3
"""Summarises the JSON lines the benches print (tests/bench-all.sh gathers them): one line per
figure, each as a ratio to the baseline its bench measured in the same run, with the target and
whether it was met. Unknown or missing benches are reported, never silently dropped."""

import json
import sys


def load(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            out.setdefault(rec.get("bench"), []).append(rec)
    return out


def verdict(ok):
    return "met" if ok else "NOT met"


def main(path):
    figs = load(path)
    rows = []

    def row(name, value, baseline, ratio, target):
        rows.append((name, value, baseline, ratio, target))

    for m in figs.get("machine", []):
        print(f"machine: {m['cpus']} CPUs ({m['cpu']}), {m['mem_gib']} GiB, {m['rustc']}, {m['date']}")

    for r in figs.get("enroll_commit", []):
        row("enrolment commit", f"{r['enrollments_per_s']:.0f}/s", f"raw SQLite {r['raw_rows_per_s']:.0f} rows/s",
            f"{r['ratio']:.2f}", f">= 0.5: {verdict(r['ratio'] >= 0.5)}")
    for r in figs.get("sync", []):
        row("wire bytes per member", f"{r['wire_bytes'] / r['members']:.1f} B",
            f"gzip'd FHIR {r['fhir_gzip_bytes'] / r['members']:.1f} B", f"{r['wire_ratio']:.2f}",
            f"<= 0.35: {verdict(r['wire_ratio'] <= 0.35)}")
        a = r["apply_ops_per_s"]
        row("apply remote ops", f"{a:.0f} ops/s", f"raw inserts {r['raw_rows_per_s']:.0f} rows/s",
            f"{a / r['raw_rows_per_s']:.2f}", f">= 100 000 ops/s: {verdict(a >= 100_000)}")
        d = r["automerge_durable_ops_per_s"]
        row("apply vs automerge (durable)", f"{a:.0f} ops/s", f"automerge {d:.0f} ops/s", f"x{a / d:.1f}",
            f">= x10: {verdict(a / d >= 10)}")
        mem = r["automerge_memory_ops_per_s"]
        row("apply vs automerge (memory)", f"{a:.0f} ops/s", f"automerge {mem:.0f} ops/s", f"x{a / mem:.1f}", "-")
    for r in figs.get("hub_load", []):
        ratio = r["ingest_ops_per_s"] / r["raw_rows_per_s"]
        target = f">= 0.3: {verdict(ratio >= 0.3)}" if r["database"] == "sqlite" else "-"
        row(f"hub ingest ({r['database']}, {r['tablets']} tablets)",
            f"{r['ingest_ops_per_s']:.0f} ops/s, p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms",
            f"raw inserts {r['raw_rows_per_s']:.0f} rows/s", f"{ratio:.2f}", target)
    for r in figs.get("abdm_bridge", []):
        for c in (1, 4, 8):
            if f"c{c}_jobs_per_s" in r:
                row(f"ABDM bridge c={c}", f"{r[f'c{c}_jobs_per_s']:.1f} jobs/s",
                    f"ideal c/latency ({r['latency_ms']} ms)", f"{r[f'c{c}_ratio']:.2f}", "-")
        row("ABDM bridge under a rate limit", f"{r['rate_jobs_per_s']:.2f} jobs/s",
            f"limit {r['rate_limit']}/s", f"{r['rate_jobs_per_s'] / r['rate_limit']:.2f}",
            f"no 429: {verdict(r['rate_limited'] == 0)}")
    for r in figs.get("load_rig", []):
        row(f"load rig ({r['database']}, {r['tablets']} tablets, hub process)",
            f"{r['ops_per_s']:.0f} ops/s, p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms", "-", "-",
            "converged exactly (asserted)")
        row(f"hub memory under load ({r['database']})", f"{r['hub_peak_kib'] / 1024:.0f} MiB peak",
            f"idle {r['hub_idle_kib'] / 1024:.0f} MiB", f"x{r['hub_peak_kib'] / max(r['hub_idle_kib'], 1):.1f}", "-")
    for r in figs.get("device", []):
        f = r.get("figure")
        if f == "open":
            row(f"device store open ({r['members']} members)", f"{r['open_first_page_ms']:.1f} ms",
                f"raw SQLCipher open {r['baseline_ms']:.1f} ms", f"{r['ratio']:.2f}",
                f"<= {r['target_ms']} ms: {verdict(r['met'])}")
        elif f == "list":
            for p in r["pages"]:
                row(f"household list (offset {p['offset']})", f"{p['ms']:.2f} ms",
                    f"raw query {p['baseline_ms']:.2f} ms", f"{p['ratio']:.2f}",
                    f"<= {r['target_ms']} ms: {verdict(p['met'])}")
        elif f == "search":
            for q in r["queries"]:
                row(f"name search {q['query']!r} ({q['hits']} hits)", f"{q['ms']:.2f} ms",
                    f"raw query {q['baseline_ms']:.2f} ms", f"{q['ratio']:.2f}",
                    f"<= {r['target_ms']} ms: {verdict(q['met'])}")
        elif f == "sync_memory":
            row(f"device peak memory syncing {r['pulled_ops']} ops", f"{r['peak_rss_mb']:.0f} MB peak",
                f"{r['rss_before_mb']:.0f} MB before", f"x{r['ratio']:.2f}",
                f"+{r['peak_minus_before_mb']:.0f} MB")
    for r in figs.get("link_2g", []):
        if "skipped" in r:
            row("2G sync", "skipped", r["skipped"], "-", "-")
            continue
        row(f"2G sync: {r['what']}", f"{r['seconds']:.1f} s, {r['requests']} requests",
            f"link floor {r['floor_seconds']:.1f} s", f"{r['seconds'] / max(r['floor_seconds'], 1e-9):.2f}", "-")
    for r in figs.get("bindings_size", []):
        row("bindings library (stripped)", f"{r['stripped_bytes'] / 1e6:.1f} MB",
            f"{r['bytes'] / 1e6:.1f} MB unstripped", f"{r['stripped_bytes'] / r['bytes']:.2f}", "-")

    expected = ["enroll_commit", "sync", "device", "hub_load", "abdm_bridge", "load_rig", "link_2g", "bindings_size"]
    missing = [b for b in expected if b not in figs]
    widths = [max(len(str(r[i])) for r in rows) if rows else 0 for i in range(5)]
    header = ("figure", "value", "baseline (same run)", "ratio", "target")
    widths = [max(w, len(h)) for w, h in zip(widths, header)]
    for r in [header] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    if missing:
        print(f"MISSING figures (a bench failed or printed nothing): {', '.join(missing)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "target/bench-all/figures.jsonl"))
