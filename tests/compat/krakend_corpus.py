#!/usr/bin/env python3
"""The KrakenD compatibility corpus: `xdp-throttle check-config` must judge every file of
tests/fixtures/krakend/ as KrakenD CE does (manifest.json, krakend_verdict).

A file whose verdict differs because of a divergence already known (the entry's "known_divergence"
starts with an id of the manifest's "divergences" table, where KrakenD's source is cited) is printed
as such and does not fail the run; any other difference fails it, and so does a known_divergence
that no longer diverges (its label must go once the loader is fixed), a file on disk that the
manifest does not list, or an entry without provenance.

usage: krakend_corpus.py XDP_THROTTLE_CLI CORPUS_DIR
"""
import json
import pathlib
import re
import subprocess
import sys

VERDICTS = {0: "accept", 1: "refuse"}  # check-config's exit codes
REQUIRED = ("file", "repository", "path", "commit", "licence", "krakend_verdict", "reason")


def entry_problems(entry, divergences):
    problems = [f"no \"{key}\"" for key in REQUIRED if not entry.get(key)]
    known = entry.get("known_divergence")
    if known and known.split(":", 1)[0] not in divergences:
        problems.append(f"known_divergence must start with an id of \"divergences\" and a colon, got {known!r}")
    if entry.get("krakend_verdict") not in (None, "accept", "refuse"):
        problems.append(f"krakend_verdict must be \"accept\" or \"refuse\", got {entry['krakend_verdict']!r}")
    if entry.get("commit") and not re.fullmatch(r"[0-9a-f]{40}", entry["commit"]):
        problems.append(f"commit must be a full 40-hex commit, got {entry['commit']!r}")
    return problems


def first_problem(output):
    lines = [line for line in output.splitlines() if line and "warning:" not in line]
    return lines[0] if lines else "(no output)"


def main(cli, corpus_dir):
    corpus = pathlib.Path(corpus_dir)
    manifest = json.loads((corpus / "manifest.json").read_text())
    entries = manifest["files"]
    divergences = manifest.get("divergences", {})
    failures = []

    listed = [e.get("file", "") for e in entries]
    on_disk = sorted(str(p.relative_to(corpus)) for p in corpus.rglob("*.json") if p.name != "manifest.json")
    for name in sorted(set(on_disk) - set(listed)):
        failures.append(f"{name}: on disk but not in manifest.json (add its provenance and KrakenD's verdict)")
    for name in sorted({n for n in listed if listed.count(n) > 1}):
        failures.append(f"{name}: listed more than once in manifest.json")

    counts = {"agree": 0, "known": 0}
    for entry in entries:
        name = entry.get("file", "?")
        problems = entry_problems(entry, divergences)
        if not (corpus / name).is_file():
            problems.append("listed in manifest.json but missing on disk")
        if problems:
            failures.extend(f"{name}: {p}" for p in problems)
            continue
        run = subprocess.run([cli, "check-config", str(corpus / name)], capture_output=True, text=True,
                             timeout=30)
        ours = VERDICTS.get(run.returncode)
        if ours is None:
            failures.append(f"{name}: check-config exited {run.returncode}: {first_problem(run.stderr)}")
            continue
        expected = entry["krakend_verdict"]
        known = entry.get("known_divergence")
        if ours == expected and not known:
            counts["agree"] += 1
            print(f"ok        {name}: {ours}")
        elif ours == expected:
            failures.append(f"{name}: both {ours} now, yet labelled known_divergence \"{known}\": "
                            "remove the label from manifest.json")
        elif known:
            counts["known"] += 1
            source = divergences[known.split(":", 1)[0]].get("source", "")
            print(f"KNOWN     {name}: KrakenD would {expected}, check-config says {ours} -- {known} [{source}]")
        else:
            detail = first_problem(run.stderr) if ours == "refuse" else "accepted"
            failures.append(f"{name}: KrakenD would {expected} ({entry['reason']}); check-config says {ours}: {detail}")

    for failure in failures:
        print(f"MISMATCH  {failure}")
    print(f"{len(entries)} files: {counts['agree']} judged as KrakenD judges them, "
          f"{counts['known']} known divergences, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
