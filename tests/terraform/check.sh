#!/usr/bin/env bash
# tests/terraform/check.sh: every offline check of terraform/ in one command.
#
#   1. terraform fmt -check on terraform/ and the fixture configs (needs a terraform binary)
#   2. the shared output module run for real (no provider needed) and compared with
#      tests/terraform/fixtures/{gcp,aws}-outputs.json, the contract in terraform/OUTPUTS.md
#   3. tests/terraform/test_hcl.py with pytest: structure and security assertions on the
#      parsed .tf files, plus variable validations exercised through `terraform plan`
#   4. checkov on terraform/gcp and terraform/aws; any failed check fails the script
#
# Python tools live in venvs under $PLAY_TF_CACHE (default /var/cache/play-tf-venv), built on
# first use and reused while their requirements file is unchanged. Exit status is 0 only when
# every step passed; a step skipped for a missing terraform binary is reported as skipped.
#
# Usage: tests/terraform/check.sh [--update-fixtures]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${PLAY_TF_CACHE:-/var/cache/play-tf-venv}
python=${PYTHON:-python3}
update_fixtures=false
[[ "${1:-}" == "--update-fixtures" ]] && update_fixtures=true

# Terraform warns on every call when ~/.terraformrc is missing; an empty config is enough.
export TF_CLI_CONFIG_FILE=${TF_CLI_CONFIG_FILE:-/dev/null}
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

start=$(date +%s)
passed=0 failed=0 skipped=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { printf '\n== %s\n' "$*"; }
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAILED: $*"; failed=$((failed + 1)); }
skip() { echo "skipped: $*"; skipped=$((skipped + 1)); }

if ! mkdir -p "$cache" 2>/dev/null || [[ ! -w "$cache" ]]; then
    cache=${XDG_CACHE_HOME:-$HOME/.cache}/play-tf-venv
    mkdir -p "$cache"
fi

# ensure_venv NAME REQUIREMENTS: prints the venv's path; rebuilds it when the requirements or
# the Python version changed, or a previous build did not finish (no stamp).
ensure_venv() {
    local dir="$cache/$1" req="$2" want have
    want="$(sha256sum "$req" | cut -d' ' -f1) $("$python" -c 'import sys; print(sys.version.split()[0])')"
    have=$(cat "$dir/.play-stamp" 2>/dev/null || true)
    if [[ "$want" != "$have" ]]; then
        echo "building venv $dir from ${req#"$repo"/} (first run takes a minute or two)" >&2
        rm -rf "$dir"
        if ! "$python" -m venv "$dir" >&2 2>/dev/null; then
            # Debian's python3 ships venv support separately.
            if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
                apt-get install -y -q python3-venv >&2 || { apt-get update -q >&2 && apt-get install -y -q python3-venv >&2; }
                rm -rf "$dir"
                "$python" -m venv "$dir" >&2
            else
                echo "cannot create a venv with $python: install python3-venv" >&2
                return 1
            fi
        fi
        "$dir/bin/pip" install --quiet --disable-pip-version-check --upgrade pip >&2
        "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
        echo "$want" >"$dir/.play-stamp"
    fi
    echo "$dir"
}

# Two venvs built side by side: pip is most of a cold run.
exec 9>"$cache/.lock"
flock 9
(ensure_venv checkov "$here/requirements-checkov.txt" >"$work/checkov-venv") 2>"$work/checkov-venv.log" &
checkov_build=$!
hcl_ok=true
hcl_venv=$(ensure_venv hcl "$here/requirements-hcl.txt") || hcl_ok=false
checkov_ok=true
wait "$checkov_build" || checkov_ok=false
cat "$work/checkov-venv.log" >&2
checkov_venv=$(cat "$work/checkov-venv" 2>/dev/null || true)
flock -u 9

cd "$repo"
terraform_bin=$(command -v terraform || true)

step "terraform fmt -check"
if [[ -z "$terraform_bin" ]]; then
    skip "no terraform binary"
elif terraform fmt -check -recursive -diff terraform/ tests/terraform/fixtures/gen/; then
    ok "formatting"
else
    bad "terraform fmt: run 'terraform fmt -recursive terraform/ tests/terraform/fixtures/gen/'"
fi

step "output contract: fixtures/gen/{gcp,aws} through terraform/modules/inventory_outputs"
if [[ -z "$terraform_bin" ]]; then
    skip "no terraform binary"
else
    contract_ok=true
    for cloud in gcp aws; do
        gen="tests/terraform/fixtures/gen/$cloud"
        fixture="tests/terraform/fixtures/$cloud-outputs.json"
        data="$work/tf-$cloud"
        # TF_DATA_DIR and -state keep every file terraform writes out of the repo.
        if ! TF_DATA_DIR="$data" terraform -chdir="$gen" init -input=false -no-color >"$work/$cloud.log" 2>&1 ||
            ! TF_DATA_DIR="$data" terraform -chdir="$gen" apply -auto-approve -input=false -no-color \
                -lock=false -state="$data/state" >>"$work/$cloud.log" 2>&1 ||
            ! TF_DATA_DIR="$data" terraform -chdir="$gen" output -json -no-color -state="$data/state" \
                >"$work/$cloud.json" 2>>"$work/$cloud.log"; then
            cat "$work/$cloud.log"
            bad "$gen: terraform could not evaluate the output module (log above)"
            contract_ok=false
            continue
        fi
        if $update_fixtures; then
            cp "$work/$cloud.json" "$fixture"
            echo "wrote $fixture"
        elif ! "$python" - "$work/$cloud.json" "$fixture" <<'PY'; then
import json, sys
got, want = (json.load(open(p)) for p in sys.argv[1:3])
if got != want:
    import difflib
    a = json.dumps(want, indent=2, sort_keys=True).splitlines()
    b = json.dumps(got, indent=2, sort_keys=True).splitlines()
    print("\n".join(difflib.unified_diff(a, b, sys.argv[2], "terraform output -json", lineterm="")))
    sys.exit(1)
PY
            bad "$fixture differs from what the output module produces (diff above); if the change is intended, run $0 --update-fixtures and update terraform/OUTPUTS.md"
            contract_ok=false
        fi
    done
    $contract_ok && ok "both clouds' outputs match their fixtures"
fi

step "pytest tests/terraform/test_hcl.py"
if ! $hcl_ok; then
    bad "could not build the python-hcl2 venv under $cache (pip output above)"
else
    set +e
    "$hcl_venv/bin/python" -m pytest -q -p no:cacheprovider tests/terraform/test_hcl.py
    rc=$?
    set -e
    case $rc in
        0) ok "test_hcl.py" ;;
        5) bad "test_hcl.py: pytest collected no tests (exit 5); the test file is broken or filtered" ;;
        *) bad "test_hcl.py: pytest exited $rc" ;;
    esac
fi

# Checkov's --skip-download keeps it offline (no guideline or policy download); inline
# #checkov:skip comments in the .tf files are the only suppressions. Both folders are scanned
# at once (each scan is mostly single-threaded Python), then reported in order.
declare -A checkov_pid
if $checkov_ok; then
    for cloud in gcp aws; do
        out="$work/checkov-$cloud"
        mkdir -p "$out"
        (
            set +e
            "$checkov_venv/bin/checkov" -d "terraform/$cloud" --framework terraform --quiet --compact \
                --skip-download -o cli -o json --output-file-path "$out" >"$out/console.txt" 2>&1
            echo $? >"$out/rc"
        ) &
        checkov_pid[$cloud]=$!
    done
fi
for cloud in gcp aws; do
    step "checkov terraform/$cloud"
    if ! $checkov_ok; then
        bad "could not build the checkov venv under $cache (pip output above)"
        continue
    fi
    out="$work/checkov-$cloud"
    wait "${checkov_pid[$cloud]}" || true
    rc=$(cat "$out/rc" 2>/dev/null || echo "?")
    # The CLI report goes to a file next to the JSON one; the console then holds only errors.
    cat "$out/results_cli.txt" 2>/dev/null || tail -n 40 "$out/console.txt"
    summary=$("$python" - "$out/results_json.json" <<'PY' 2>&1
import json, sys
try:
    data = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    print(f"no JSON report: {e}")
    sys.exit(2)
reports = data if isinstance(data, list) else [data]
if not reports or not reports[0]:
    print("checkov scanned nothing")
    sys.exit(2)
keys = ("passed", "failed", "skipped", "parsing_errors")
total = {k: sum(r.get("summary", {}).get(k, 0) for r in reports) for k in keys}
print(" ".join(f"{k}={v}" for k, v in total.items()))
sys.exit(1 if total["failed"] or total["parsing_errors"] or not total["passed"] else 0)
PY
    ) && summary_rc=0 || summary_rc=$?
    echo "checkov terraform/$cloud: $summary"
    if [[ $rc == 0 && $summary_rc == 0 ]]; then
        ok "checkov terraform/$cloud ($summary)"
    else
        bad "checkov terraform/$cloud (exit $rc; $summary)"
    fi
done

echo
echo "took $(($(date +%s) - start))s"
echo "terraform: $passed passed, $failed failed, $skipped skipped"
[[ $failed == 0 ]]
