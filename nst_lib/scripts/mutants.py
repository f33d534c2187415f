"""Mutation testing of the maths and the loop: does a test notice when a line is broken?

    cargo install --locked cargo-mutants --version 27.1.0
    python3 nst_lib/scripts/mutants.py                 # every group (hours on 2 cores)
    python3 nst_lib/scripts/mutants.py optim metrics   # some groups
    python3 nst_lib/scripts/mutants.py --shard 1/4 kernels   # a quarter of a group's mutants
    python3 nst_lib/scripts/mutants.py --retest optim  # again, only what was missed or timed out
                            # (or needed a CPU feature this CPU has)
    python3 nst_lib/scripts/mutants.py --rest kernels  # only those with no outcome yet (resumes)
    python3 nst_lib/scripts/mutants.py --rest --lines 19-85 --timeout 60 image_io
                            # only mutants on those lines; a shorter timeout (default 240 s)
    python3 nst_lib/scripts/mutants.py --table         # only rewrite docs/mutants.md
    python3 nst_lib/scripts/mutants.py --carry COMMIT OUTCOMES_JSON kernels
                            # a run's outcomes made at COMMIT, moved to today's line numbers
    python3 nst_lib/scripts/mutants.py --carry COMMIT record objective
                            # the record's outcomes for the mutants COMMIT had, moved alike

cargo-mutants changes one thing at a time in the source (an operator, a constant, a function
body replaced by a default) and runs the tests: a mutant that no test fails on ("missed") is a
missing test, unless the change cannot alter behaviour ("equivalent": listed, with a one-line
reason, in nst_lib/scripts/mutants_equivalent.txt). Each group of modules runs with the test
targets that exercise it (the fastest that do; the whole suite would take hours more), with
NST_WEIGHTS set as in CI. It runs *in place*: start from a clean checkout (`git status` shows
nothing), don't edit while it runs, and `git checkout nst_lib/src` if you interrupt it (a build
stopped midway can leave rustc's incremental cache stale: builds then fail to link, with undefined
symbols; such outcomes are not recorded, and `rm -rf target/mutants/incremental` clears the cache).

cargo-mutants' own output lands in target/mutants/GROUP/mutants.out; each mutant's latest outcome
is kept in docs/mutants.json (commit it: runs take hours, and a later run adds to it), and the
table, with the dates, the machines and every missed mutant, is written to docs/mutants.md
(sections added there by hand after the generated ones are kept).

A mutant's name holds its line number, so an edit above it renames it and its outcome no longer
counts. `--carry` keeps the work of a long run across later edits: each caught or unviable
outcome of that run (made at COMMIT) whose line git diff shows unchanged since is recorded under
its line number today; then `--rest` runs the mutants on changed lines and the missed ones again.
cargo-mutants 27.1.0 does not apply its name filter (`-F`) to "delete field ... from struct ...
expression" mutants (visit.rs adds them unfiltered), so `--rest`, `--retest` and `--lines` also
pass a diff (`--in-diff`) that marks only the chosen mutants' lines: without it they would also
test every struct-field deletion in the group's files. `--lines` takes those lines in each of
the group's files.
"""
import datetime, functools, json, os, platform, re, subprocess, sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "target", "mutants")
TABLE = os.path.join(ROOT, "docs", "mutants.md")
RECORD = os.path.join(ROOT, "docs", "mutants.json")
EQUIVALENT = os.path.join(ROOT, "nst_lib", "scripts", "mutants_equivalent.txt")
# Seconds a mutant's tests may run (cargo-mutants' --timeout); a run's own is kept in the record.
DEFAULT_TIMEOUT = 240

# name: (source files, test targets, test-harness arguments). The slow whole-run tests are
# skipped where faster ones check the same thing.
SLOW = ["--skip", "a_run_through_the_fast_kernels_follows_the_reference_loss_curve",
        "--skip", "committed_fixtures_are_what_the_script_makes"]
LOSS_TESTS = ["--test", "losses", "--test", "gradient", "--test", "pytorch_reference", "--test", "trunk"]
GROUPS = {
    "optim": (["optim/lbfgs.rs", "optim/adam.rs", "optim/sgd.rs", "optim/mod.rs", "optim/stepper.rs"],
              ["--lib", "--test", "optimizers", "--test", "session"], []),
    "losses": (["content_loss.rs", "style_loss.rs", "total_variation.rs", "pixel_range.rs"], LOSS_TESTS, SLOW),
    "objective": (["total_loss.rs"], LOSS_TESTS + ["--test", "artist_controls"], SLOW),
    "metrics": (["metrics.rs"], ["--test", "fidelity", "--test", "real_vgg16", "--test", "cli"],
                ["--skip", "style_transfer_at_128px", "--skip", "every_preset_makes_progress",
                 "--skip", "gatys_preset_does_not_stall", "--skip", "content_and_style_reconstructions",
                 "--skip", "fast_kernels_and_candle_reference", "--skip", "the_default_paints_the_photo",
                 "--skip", "the_strength_knob_moves"]),
    "config": (["config.rs"], ["--test", "pytorch_reference", "--test", "cli", "--test", "bad_inputs",
                               "--test", "defaults", "--test", "artist_controls"], SLOW),
    "kernels": (["cpu_kernels.rs", "trunk.rs"], ["--lib", "--test", "trunk", "--test", "fast_kernels", "--test", "malloc",
                                                 "--test", "bf16", "--test", "bf16_fallback"], SLOW),
    "winograd": (["winograd.rs"], ["--lib", "--test", "winograd", "--test", "trunk"], SLOW),
    "colour": (["colour.rs"], ["--lib", "--test", "artist_controls"], []),
    "results": (["results.rs", "paths.rs"], ["--lib", "--test", "cli", "--test", "bad_inputs", "--test", "display",
                                           "--test", "reliability"], []),
    "device": (["device.rs"], ["--test", "artist_controls", "--test", "optimizers", "--test", "losses"], []),
    "image_io": (["image_io.rs"], ["--lib", "--test", "bad_inputs", "--test", "reliability", "--test", "display",
                                   "--test", "fuzz", "--test", "session", "--test", "artist_controls"], []),
}


def current(group, root=ROOT):
    """The mutants cargo-mutants makes today for a group's files (its --list): names with line:col."""
    cmd = ["cargo", "mutants", "--list"] + sum((["-f", f"nst_lib/src/{f}"] for f in GROUPS[group][0]), [])
    listed = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if listed.returncode != 0:
        # Without this, a missing cargo-mutants read as "no mutants": "nothing to rest".
        sys.exit(f"`{' '.join(cmd[:3])}` failed (is cargo-mutants 27.1.0 installed?):\n{listed.stderr.strip()}")
    return [l for l in listed.stdout.splitlines() if l.strip()]


def load_record():
    return json.load(open(RECORD)) if os.path.exists(RECORD) else {"mutants": {}, "runs": []}


def run_group(name, shard, which, lines=None, timeout=DEFAULT_TIMEOUT):
    """Run a group's mutants: all of them, or only those the record has as missed or timed out,
    or as needing a CPU feature this CPU has or that no longer applies (`which="retest"`), or
    only those it has no outcome for (`which="rest"`: resumes a run that was stopped); `lines`
    (first, last) keeps only the mutants on those lines. A mutant whose tests run past `timeout`
    seconds is a timeout. Outcomes are merged into the record, with the timeout, as each run
    ends."""
    files, targets, harness = GROUPS[name]
    out = os.path.join(OUT, name if not shard else f"{name}-shard-{shard.replace('/', '-of-')}")
    # With cargo-mutants' baseline (the tests run once unmutated first): without it, a test that
    # fails on its own counts every mutant caught. One did, on a CPU without AVX-512, and 24
    # outcomes were dropped.
    cmd = ["cargo", "mutants", "--in-place", "--profile", "mutants", "--timeout", str(timeout), "--no-shuffle",
           "-o", out]
    for f in files:
        cmd += ["-f", f"nst_lib/src/{f}"]
    if which or lines:
        record = load_record()["mutants"]
        # --retest also takes what needed a CPU feature this CPU has.
        eq, flags = equivalents(), cpu_flags()
        def again(m):
            feature = needs(m, eq)[0]
            return record.get(m) in ("MissedMutant", "Timeout") or (
                record.get(m) == "NeedsCpu" and (not feature or has(flags, feature)))
        chosen = {"retest": again, "rest": lambda m: m not in record, None: lambda m: True}[which]
        names = [m for m in current(name) if chosen(m) and (not lines or lines[0] <= line_of(m) <= lines[1])]
        what = (which or "run") + (f" on lines {lines[0]}-{lines[1]}" if lines else "")
        if not names:
            print(f"{name}: nothing to {what}")
            return
        print(f"{name}: {len(names)} mutants to {what}")
        for m in names:
            cmd += ["-F", "^" + re.escape(m) + "$"]
        cmd += ["--in-diff", lines_diff(names, out)]
    if shard:
        cmd += ["--shard", shard]
    cmd += ["--"] + targets + (["--"] + harness if harness else [])
    os.makedirs(out, exist_ok=True)
    print("$", " ".join(cmd[:40]), "..." if len(cmd) > 40 else "", flush=True)
    done = subprocess.run(cmd, cwd=ROOT)  # exits 2 or 3 when a mutant is missed or timed out
    if done.returncode == 4:
        sys.exit(f"{name}: the tests fail with no mutation (cargo-mutants' baseline): fix them first; nothing recorded")
    merge(os.path.join(out, "mutants.out", "outcomes.json"), name, timeout)


def line_of(mutant):
    """A mutant's line, from its name (`path:line:col: what`)."""
    return int(mutant.split(":")[1])


def lines_diff(names, out):
    """A diff that changes nothing but touches the lines the named mutants start on (each line
    replaced by itself), for `--in-diff`: cargo-mutants' name filter misses struct-field
    deletions, its diff filter does not. Returns the file's path."""
    lines = {}
    for m in names:
        path, line = m.split(":")[:2]
        lines.setdefault(path, set()).add(int(line))
    hunks = []
    for path, wanted in sorted(lines.items()):
        text = open(os.path.join(ROOT, path)).read().split("\n")
        hunks += [f"--- a/{path}", f"+++ b/{path}"]
        for n in sorted(wanted):
            hunks += [f"@@ -{n},1 +{n},1 @@", "-" + text[n - 1], "+" + text[n - 1]]
    diff = os.path.join(out, "chosen_lines.diff")
    os.makedirs(out, exist_ok=True)
    open(diff, "w").write("\n".join(hunks) + "\n")
    return diff


def link_failed(log):
    """Whether a build failed in the linker with symbols missing: a stale incremental cache (after
    a run was stopped mid-build), not a mutant that does not compile; such an outcome is left out
    of the record, so that `--rest` runs the mutant again."""
    return os.path.isfile(log) and "undefined hidden symbol" in open(log, errors="replace").read()


# Code that runs only where the CPU has a feature (its name here: the /proc/cpuinfo flags the
# library asks for, as crate::amx and winograd's dispatch do). A mutant there that survives on a
# CPU without the feature is untested, not missed: recorded as "NeedsCpu" and counted apart;
# `--retest` on a CPU with the feature runs it again. Which mutants: those whose reason in
# mutants_equivalent.txt starts "needs FEATURE:", and those inside the blocks below (a reason
# each would repeat itself two dozen times).
CPU_FEATURES = {"AMX": ("amx_tile", "amx_bf16"), "AVX-512": ("avx512f",)}
# (feature, file, the line that opens a block whose code runs only with it, why)
NEEDS_BY_BLOCK = [("AVX-512", "nst_lib/src/winograd.rs", "if AVX512 {",
                   "inside an `if AVX512` block, which runs only where the CPU has AVX-512 (the "
                   "function's plain loop after it runs everywhere and is tested everywhere)")]


@functools.lru_cache(maxsize=None)  # asked once per mutant name: read each file once
def block_lines(path, opener):
    """The line numbers (1-based) of every block that opens with a line ending in `opener`, from
    that line to the line of the brace that closes it (braces counted from the opener's own, so a
    `} else if` opener or a `} else {` closer counts right; the blocks hold no braces in strings)."""
    text = open(os.path.join(ROOT, path)).read().split("\n")
    inside = set()
    for n, line in enumerate(text, 1):
        if line.rstrip().endswith(opener):
            depth = 0
            for m, l in enumerate(text[n:], n + 1):
                inside.add(m - 1)
                for c in l:
                    depth += {"{": 1, "}": -1}.get(c, 0)
                    if depth < 0:
                        break
                if depth < 0:
                    inside.add(m)
                    break
    return inside


def needs(name, eq):
    """(the CPU feature a mutant's code needs to run, why), or (None, None) where it runs anywhere
    or has a reason of its own in mutants_equivalent.txt (an equivalent one stays equivalent)."""
    m = re.match(r"needs ([\w-]+):\s*(.*)$", eq.get(name, ""))
    if m and m.group(1) in CPU_FEATURES:
        return m.group(1), m.group(2)
    if name in eq:
        return None, None
    where = re.match(r"^(.*?):(\d+):\d+: ", name)
    for feature, path, opener, why in NEEDS_BY_BLOCK:
        if where and where.group(1) == path and int(where.group(2)) in block_lines(path, opener):
            return feature, why
    return None, None


def cpu_flags():
    """The CPU's flags, or None where /proc/cpuinfo cannot be read (then nothing counts as absent)."""
    try:
        return set(open("/proc/cpuinfo").read().split())
    except OSError:
        return None


def has(flags, feature):
    """Whether the CPU has `feature` (None: not known)."""
    return None if flags is None or not feature else all(f in flags for f in CPU_FEATURES[feature])


def merge(path, group, timeout):
    """Add a cargo-mutants outcomes.json to the committed record (newer outcomes win), and the
    run, with its timeout in seconds."""
    if not os.path.exists(path):
        return
    record, eq, flags = load_record(), equivalents(), cpu_flags()
    here = machine(flags)
    n = 0
    for o in json.load(open(path))["outcomes"]:
        scenario = o.get("scenario")
        if isinstance(scenario, dict) and "Mutant" in scenario:  # not the baseline
            name = scenario["Mutant"]["name"]
            if o["summary"] == "Unviable" and link_failed(os.path.join(os.path.dirname(path), o.get("log_path", ""))):
                print(f"not recorded (the build's link failed, not the mutant's code): {name}")
                continue
            summary, feature = o["summary"], needs(name, eq)[0]
            if summary == "MissedMutant" and feature and has(flags, feature) is False:
                print(f"recorded as needing {feature} (its code does not run on this CPU): {name}")
                summary = "NeedsCpu"
            record["mutants"][name] = summary
            n += 1
    record["runs"].append(dict(group=group, mutants=n, date=datetime.date.today().isoformat(), machine=here,
                               timeout=timeout))
    os.makedirs(os.path.dirname(RECORD), exist_ok=True)
    with open(RECORD, "w") as fh:
        json.dump(record, fh, indent=0, sort_keys=True)


def machine(flags=None):
    """The machine, with the CPU features that decide which kernels run (CPU_FEATURES); `flags`
    as cpu_flags() gives them, read here when not given."""
    flags = cpu_flags() if flags is None else flags
    have = ", ".join({True: "", False: "no ", None: "unknown "}[has(flags, f)] + f for f in CPU_FEATURES)
    return f"{platform.machine()}, {os.cpu_count()} cores, {have}"


def line_map(commit, path):
    """Old line number -> today's for the lines of `path` unchanged since `commit` (None if changed)."""
    diff = subprocess.run(["git", "diff", "-U0", commit, "--", path], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout
    hunks = [tuple(int(g) if g else 1 for g in m.groups())
             for m in re.finditer(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", diff, re.M)]

    def new_line(old):
        shift = 0
        for a, b, _c, d in hunks:
            first_after = a + b if b else a + 1  # b = 0: lines inserted after line a
            if b and a <= old < a + b:
                return None
            if old >= first_after:
                shift += d - b
        return old + shift
    return new_line


def listed_at(commit, group):
    """The mutants cargo-mutants made for a group's files at `commit` (listed in a temporary worktree)."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        tree = os.path.join(tmp, "tree")
        subprocess.run(["git", "worktree", "add", "-q", "--detach", tree, commit], cwd=ROOT, check=True)
        try:
            return set(current(group, tree))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=ROOT, check=True)


def carry(commit, path, group):
    """Record the outcomes of a run made at `commit` (cargo-mutants' outcomes.json at `path`, or
    `record`: the record's outcomes for the mutants the source had at `commit`) under today's
    names, for the mutants whose line is unchanged since."""
    today = set(current(group))
    maps = {f"nst_lib/src/{f}": line_map(commit, f"nst_lib/src/{f}") for f in GROUPS[group][0]}
    record, n, dropped = load_record(), 0, 0
    if path == "record":
        then = listed_at(commit, group)
        outcomes = [(name, o) for name, o in record["mutants"].items() if name in then]
    else:
        outcomes = [(o["scenario"]["Mutant"]["name"], o["summary"]) for o in json.load(open(path))["outcomes"]
                    if isinstance(o.get("scenario"), dict) and "Mutant" in o["scenario"]]
    for old_name, summary in outcomes:
        m = re.match(r"^(.*?):(\d+):(\d+): (.*)$", old_name)
        new = maps[m.group(1)](int(m.group(2))) if m and m.group(1) in maps else None
        name = f"{m.group(1)}:{new}:{m.group(3)}: {m.group(4)}" if new else None
        # Only outcomes that later tests cannot change: a missed or timed-out mutant may be caught
        # by a test added since, so --rest runs it again.
        if name in today and summary in ("CaughtMutant", "Unviable"):
            record["mutants"][name] = summary
            n += 1
        else:
            dropped += 1
    move_equivalents(maps, today)
    short = subprocess.run(["git", "rev-parse", "--short=7", commit], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.strip()
    record["runs"].append(dict(group=f"{group} (carried from {short})", mutants=n,
                               date=datetime.date.today().isoformat(),
                               machine=machine()))
    with open(RECORD, "w") as fh:
        json.dump(record, fh, indent=0, sort_keys=True)
    print(f"{group}: {n} outcomes carried from {short}, {dropped} (changed lines, missed, timed out) left to --rest")


def move_equivalents(maps, today):
    """Rename the equivalents list's entries in the carried files to today's line numbers."""
    if not os.path.exists(EQUIVALENT):
        return
    lines = open(EQUIVALENT).read().splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(.*?):(\d+):(\d+): (.*?) -- (.*)$", line)
        if not m or m.group(1) not in maps or line.split(" -- ", 1)[0] in today:
            continue
        new = maps[m.group(1)](int(m.group(2)))
        name = f"{m.group(1)}:{new}:{m.group(3)}: {m.group(4)}" if new else None
        if name in today:
            lines[i] = f"{name} -- {m.group(5)}"
    open(EQUIVALENT, "w").write("\n".join(lines) + "\n")


def equivalents():
    """{ "file:line:col: description": reason } from mutants_equivalent.txt."""
    found = {}
    if os.path.exists(EQUIVALENT):
        for line in open(EQUIVALENT):
            if line.strip() and not line.startswith("#") and " -- " in line:
                what, why = line.rstrip("\n").split(" -- ", 1)
                found[what.strip()] = why.strip()
    return found


MISSED_HEADING = "## Missed, timed out and equivalent mutants"


def hand_sections():
    """What docs/mutants.md holds after the generated part: every section whose heading this
    script does not write (e.g. "The run before the record"), written by hand and kept as is."""
    if not os.path.exists(TABLE):
        return []
    lines = open(TABLE).read().split("\n")
    starts = [i for i, l in enumerate(lines) if l.startswith("## ") and l != MISSED_HEADING]
    return [""] + "\n".join(lines[starts[0]:]).rstrip("\n").split("\n") if starts else []


def write_table():
    """docs/mutants.md from the record, for the mutants the source makes today (an outcome whose
    mutant no longer exists, after an edit moved or removed its line, is not counted)."""
    eq, record = equivalents(), load_record()
    # A carry runs no mutant: its machine says nothing.
    runs = sorted({(r["date"], r["machine"]) for r in record["runs"] if "(carried from" not in r["group"]})
    lines = ["# Mutation testing", "",
             "Made by `python3 nst_lib/scripts/mutants.py` (cargo-mutants 27.1.0, each group with the test",
             "targets named in that script; outcomes kept in `docs/mutants.json`); read the script's docstring",
             "before running it. Runs: " + "; ".join(f"{d} on {m}" for d, m in runs) + ".", "",
             "A **missed** mutant is a change to the source that no test failed on; **equivalent** ones cannot",
             "change behaviour (the reason is in `nst_lib/scripts/mutants_equivalent.txt`); **unviable** ones do",
             "not compile; **timed out**: the tests ran past the run's timeout under the change (below): a",
             "loop that no longer ends or a run that no longer stops, noticed by a hang rather than a failure;",
             "**not run**: no outcome yet for the source as it is; **needs a CPU feature**: missed on a CPU",
             "without it, in code that runs only where the CPU has it (AMX: the bf16 tiles, `crate::amx`;",
             "AVX-512: the Winograd transforms' `if AVX512` blocks); `--retest` on such a CPU tests them (the",
             "reasons: `mutants_equivalent.txt`, marked \"needs FEATURE\", and `NEEDS_BY_BLOCK` in the script).",
             "", "A mutant's tests may run for " + timeouts(record) + ".", "",
             "| group | mutants | caught | missed | equivalent | needs a CPU feature | unviable | timed out | not run |",
             "|---|---|---|---|---|---|---|---|---|"]
    missed_rows = []
    for group in GROUPS:
        n = {k: 0 for k in ("CaughtMutant", "MissedMutant", "Equivalent", "NeedsCpu", "Unviable", "Timeout", None)}
        names = current(group)
        for name in names:
            summary = record["mutants"].get(name)
            feature, why = needs(name, eq)
            if summary == "NeedsCpu" and not feature:  # its reason was taken back since: a miss
                summary = "MissedMutant"
            if summary == "NeedsCpu":
                missed_rows.append(f"| {group} | `{name}` | **needs {feature}**: {why} |")
            elif summary == "MissedMutant" and name in eq and not feature:
                summary = "Equivalent"
                missed_rows.append(f"| {group} | `{name}` | equivalent: {eq[name]} |")
            elif summary in ("MissedMutant", "Timeout"):
                missed_rows.append(f"| {group} | `{name}` | **{'missed' if summary == 'MissedMutant' else 'timed out'}** |")
            n[summary] = n.get(summary, 0) + 1
        lines.append(f"| {group} | {len(names)} | {n['CaughtMutant']} | {n['MissedMutant']} | {n['Equivalent']} | "
                     f"{n['NeedsCpu']} | {n['Unviable']} | {n['Timeout']} | {n[None]} |")
    lines += ["", MISSED_HEADING, "", "| group | mutant | verdict |", "|---|---|---|"] + missed_rows
    lines += hand_sections()
    os.makedirs(os.path.dirname(TABLE), exist_ok=True)
    open(TABLE, "w").write("\n".join(lines) + "\n")
    print("wrote", TABLE)


def timeouts(record):
    """The runs' timeouts, in words: the default, and each group's runs that had another."""
    other = {}
    for r in record["runs"]:
        t = r.get("timeout", DEFAULT_TIMEOUT)  # runs recorded before the key existed had the default
        if "(carried from" not in r["group"] and t != DEFAULT_TIMEOUT:
            other.setdefault((r["group"], t), []).append(r["date"])
    said = [f"{t} s in {len(d)} of {g}'s runs, {', '.join(sorted(set(d)))}" for (g, t), d in sorted(other.items())]
    return f"{DEFAULT_TIMEOUT} s" + (f" ({'; '.join(said)})" if said else "")


def check_reasons():
    """Stop before any run if a reason names a CPU feature this script does not know (a typo
    would otherwise turn a needs-the-CPU verdict into "equivalent")."""
    for name, why in equivalents().items():
        m = re.match(r"needs ([\w-]+):", why)
        if m and m.group(1) not in CPU_FEATURES:
            sys.exit(f"mutants_equivalent.txt: unknown CPU feature {m.group(1)!r} "
                     f"(known: {', '.join(CPU_FEATURES)}): {name}")


def main(args):
    check_reasons()
    if args[:1] == ["--carry"] and len(args) == 4 and args[3] in GROUPS:
        carry(args[1], args[2], args[3])
        write_table()
        return 0
    which = "retest" if "--retest" in args else "rest" if "--rest" in args else None
    args = [a for a in args if a not in ("--retest", "--rest")]
    shard, args = option(args, "--shard")
    lines, args = option(args, "--lines")
    timeout, args = option(args, "--timeout")
    lines = line_range(lines) if lines else None
    timeout = seconds(timeout) if timeout else DEFAULT_TIMEOUT
    if args != ["--table"]:
        dirty = subprocess.run(["git", "status", "--porcelain", "nst_lib/src"], cwd=ROOT, capture_output=True, text=True).stdout
        if dirty.strip():
            print("nst_lib/src has uncommitted changes: mutants run in place, so commit or stash them first")
            return 1
        for name in args or list(GROUPS):
            if name not in GROUPS:
                print(f"unknown group {name!r}: one of {', '.join(GROUPS)}")
                return 1
            run_group(name, shard, which, lines, timeout)
    write_table()
    return 0


def option(args, flag):
    """The value after `flag` in `args` (None without it), and `args` without the two."""
    if flag not in args:
        return None, args
    if args.count(flag) > 1:
        sys.exit(f"{flag} is given more than once")
    i = args.index(flag)
    if i + 1 >= len(args) or args[i + 1].startswith("--"):
        sys.exit(f"{flag} needs a value")
    return args[i + 1], args[:i] + args[i + 2:]


def line_range(text):
    """`--lines FIRST-LAST` as (first, last), line numbers from 1, first <= last."""
    m = re.fullmatch(r"(\d+)-(\d+)", text)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        sys.exit(f"--lines takes FIRST-LAST, line numbers from 1 with FIRST <= LAST (e.g. 19-85), not {text!r}")
    return int(m.group(1)), int(m.group(2))


def seconds(text):
    """`--timeout S`: a whole number of seconds, at least 1."""
    if not text.isdigit() or int(text) < 1:
        sys.exit(f"--timeout takes a whole number of seconds, at least 1, not {text!r}")
    return int(text)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
