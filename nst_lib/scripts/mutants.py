"""Mutation testing of the maths and the loop: does a test notice when a line is broken?

    cargo install --locked cargo-mutants --version 27.1.0
    python3 nst_lib/scripts/mutants.py                 # every group (hours on 2 cores)
    python3 nst_lib/scripts/mutants.py optim metrics   # some groups
    python3 nst_lib/scripts/mutants.py --shard 1/4 kernels   # a quarter of a group's mutants
    python3 nst_lib/scripts/mutants.py --retest optim  # again, only what was missed or timed out
    python3 nst_lib/scripts/mutants.py --table         # only rewrite docs/mutants.md

cargo-mutants changes one thing at a time in the source (an operator, a constant, a function
body replaced by a default) and runs the tests: a mutant that no test fails on ("missed") is a
missing test, unless the change cannot alter behaviour ("equivalent": listed, with a one-line
reason, in nst_lib/scripts/mutants_equivalent.txt). Each group of modules runs with the test
targets that exercise it (the fastest that do; the whole suite would take hours more), with
NST_WEIGHTS set as in CI. It runs *in place*: start from a clean checkout (`git status` shows
nothing), don't edit while it runs, and `git checkout nst_lib/src` if you interrupt it.

Outcomes per group land in target/mutants/GROUP/mutants.out; the table of all groups run so
far, with the date, the machine and every missed mutant, is written to docs/mutants.md.
"""
import datetime, glob, json, os, platform, shutil, subprocess, sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "target", "mutants")
TABLE = os.path.join(ROOT, "docs", "mutants.md")
EQUIVALENT = os.path.join(ROOT, "nst_lib", "scripts", "mutants_equivalent.txt")

# name: (source files, test targets, test-harness arguments). The slow whole-run tests are
# skipped where faster ones check the same thing.
SLOW = ["--skip", "a_run_through_the_fast_kernels_follows_the_reference_loss_curve",
        "--skip", "committed_fixtures_are_what_the_script_makes"]
LOSS_TESTS = ["--test", "losses", "--test", "gradient", "--test", "pytorch_reference", "--test", "trunk"]
GROUPS = {
    "optim": (["optim/lbfgs.rs", "optim/adam.rs", "optim/sgd.rs", "optim/mod.rs"], ["--lib", "--test", "optimizers"], []),
    "losses": (["content_loss.rs", "style_loss.rs", "total_variation.rs", "pixel_range.rs"], LOSS_TESTS, SLOW),
    "objective": (["total_loss.rs"], LOSS_TESTS + ["--test", "artist_controls"], SLOW),
    "metrics": (["metrics.rs"], ["--test", "fidelity", "--test", "real_vgg16", "--test", "cli"],
                ["--skip", "style_transfer_at_128px", "--skip", "every_preset_makes_progress",
                 "--skip", "gatys_preset_does_not_stall", "--skip", "content_and_style_reconstructions",
                 "--skip", "fast_kernels_and_candle_reference", "--skip", "the_default_keeps_the_photo",
                 "--skip", "the_strength_knob_moves"]),
    "config": (["config.rs"], ["--test", "pytorch_reference", "--test", "cli", "--test", "bad_inputs",
                               "--test", "defaults", "--test", "artist_controls"], SLOW),
    "kernels": (["cpu_kernels.rs", "trunk.rs"], ["--test", "trunk", "--test", "fast_kernels"], SLOW),
    "colour": (["colour.rs"], ["--test", "artist_controls"], []),
    "results": (["results.rs"], ["--test", "cli", "--test", "bad_inputs", "--test", "display"], []),
}


def run_group(name, shard, retest=False):
    files, targets, harness = GROUPS[name]
    out = os.path.join(OUT, name if not shard else f"{name}-shard-{shard.replace('/', '-of-')}")
    if retest:
        # cargo-mutants --iterate skips what the last run caught; its outcomes go on top of the
        # earlier runs', which are kept in history/ (cargo-mutants keeps only one older run).
        out = [os.path.join(OUT, f) for f in sorted(os.listdir(OUT)) if f == name or f.startswith(name + "-shard")][-1]
        history = os.path.join(out, "history", datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
        os.makedirs(history, exist_ok=True)
        shutil.copy(os.path.join(out, "mutants.out", "outcomes.json"), history)
    cmd = ["cargo", "mutants", "--in-place", "--profile", "mutants", "--baseline=skip", "--timeout", "240", "--no-shuffle",
           "-o", out]
    for f in files:
        cmd += ["-f", f"nst_lib/src/{f}"]
    if shard:
        cmd += ["--shard", shard]
    if retest:
        cmd += ["--iterate"]
    cmd += ["--"] + targets + (["--"] + harness if harness else [])
    os.makedirs(out, exist_ok=True)
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT)  # exits non-zero when a mutant is missed: the table says which


def equivalents():
    """{ "file:line: description": reason } from mutants_equivalent.txt."""
    found = {}
    if os.path.exists(EQUIVALENT):
        for line in open(EQUIVALENT):
            if line.strip() and not line.startswith("#") and " -- " in line:
                what, why = line.rstrip("\n").split(" -- ", 1)
                found[what.strip()] = why.strip()
    return found


def outcomes(folder):
    """(mutant name, outcome) for each mutant tested in a cargo-mutants output folder; after a
    --retest (--iterate), the earlier runs' outcomes (history/) with the newer ones on top."""
    found = {}
    for path in sorted(glob.glob(os.path.join(folder, "history", "*", "outcomes.json"))) + [
            os.path.join(folder, "mutants.out", "outcomes.json")]:
        if not os.path.exists(path):
            continue
        for o in json.load(open(path))["outcomes"]:
            scenario = o.get("scenario")
            if isinstance(scenario, dict) and "Mutant" in scenario:  # not the baseline
                found[scenario["Mutant"]["name"]] = o["summary"]
    return sorted(found.items())


def run_list(group):
    """The mutants cargo-mutants would make for a group (its --list)."""
    cmd = ["cargo", "mutants", "--list"] + sum((["-f", f"nst_lib/src/{f}"] for f in GROUPS[group][0]), [])
    return [l for l in subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True).stdout.splitlines() if l.strip()]


def write_table():
    eq = equivalents()
    lines = ["# Mutation testing", "",
             "Made by `python3 nst_lib/scripts/mutants.py` (cargo-mutants 27.1.0, each group with the test",
             "targets named in that script); read the script's docstring before running it. Machine: "
             f"{platform.machine()}, {os.cpu_count()} cores; table written {datetime.date.today().isoformat()}.", "",
             "A **missed** mutant is a change to the source that no test failed on; **equivalent** ones cannot",
             "change behaviour (the reason is in `nst_lib/scripts/mutants_equivalent.txt`); **unviable** ones do",
             "not compile. Shards are a part of a group's mutants (every n-th), where the whole group was not run.", "",
             "| group | mutants | caught | missed | equivalent | unviable | timed out |", "|---|---|---|---|---|---|---|"]
    missed_rows = []
    if os.path.isdir(OUT):
        for folder in sorted(os.listdir(OUT)):
            rows = outcomes(os.path.join(OUT, folder))
            if not rows:
                continue
            n = {k: 0 for k in ("CaughtMutant", "MissedMutant", "Equivalent", "Unviable", "Timeout")}
            for name, summary in rows:
                if summary == "MissedMutant" and name in eq:
                    n["Equivalent"] += 1
                    missed_rows.append(f"| {folder} | `{name}` | equivalent: {eq[name]} |")
                else:
                    n[summary] = n.get(summary, 0) + 1
                    if summary == "MissedMutant":
                        missed_rows.append(f"| {folder} | `{name}` | **missed** |")
            lines.append(f"| {folder} | {len(rows)} | {n['CaughtMutant']} | {n['MissedMutant']} | {n['Equivalent']} | "
                         f"{n['Unviable']} | {n['Timeout']} |")
    ran = set(os.listdir(OUT)) if os.path.isdir(OUT) else set()
    not_run = [g for g in GROUPS if not any(f == g or f.startswith(g + "-shard") for f in ran)]
    if not_run:
        lines += ["", "Not run for this table: " + ", ".join(f"`{g}`" for g in not_run) + f" ({sum(len(run_list(g)) for g in not_run)} mutants)."]
    lines += ["", "## Missed and equivalent mutants", "", "| group | mutant | verdict |", "|---|---|---|"] + missed_rows
    os.makedirs(os.path.dirname(TABLE), exist_ok=True)
    open(TABLE, "w").write("\n".join(lines) + "\n")
    print("wrote", TABLE)


def main(args):
    shard, retest = None, "--retest" in args
    args = [a for a in args if a != "--retest"]
    if "--shard" in args:
        i = args.index("--shard")
        shard = args[i + 1]
        args = args[:i] + args[i + 2:]
    if args != ["--table"]:
        dirty = subprocess.run(["git", "status", "--porcelain", "nst_lib/src"], cwd=ROOT, capture_output=True, text=True).stdout
        if dirty.strip():
            print("nst_lib/src has uncommitted changes: mutants run in place, so commit or stash them first")
            return 1
        for name in args or list(GROUPS):
            if name not in GROUPS:
                print(f"unknown group {name!r}: one of {', '.join(GROUPS)}")
                return 1
            run_group(name, shard, retest)
    write_table()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
