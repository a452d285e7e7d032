# Shared setup for husk's bats tests: the binary under test, a private --root
# per test, and a JSON Schema check against the runtime-spec schemas.

HUSK="${HUSK:-$BATS_TEST_DIRNAME/../../husk}"
SPEC_DIR="${HUSK_SPEC_DIR:-$BATS_TEST_DIRNAME/../../../shared/reference/runtime-spec}"

# setup_busybox_base (in setup_file): one busybox rootfs and husk's default
# config.json for the file's tests, at $BASE.
setup_busybox_base() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	export BASE="$BATS_FILE_TMPDIR/base"
	sh "$BATS_TEST_DIRNAME/../../contrib/make-busybox-bundle.sh" "$HUSK" "$BASE" >/dev/null
}

setup_root() {
	ROOT="$BATS_TEST_TMPDIR/root"
	mkdir -p "$ROOT"
}

# husk with this test's state root.
husk() {
	"$HUSK" --root "$ROOT" "$@"
}

# validate_json SCHEMA FILE: FILE validates against schema/SCHEMA.
validate_json() {
	python3 - "$SPEC_DIR/schema" "$1" "$2" <<'PY'
import json, os, sys, warnings
import jsonschema
warnings.simplefilter("ignore", DeprecationWarning)
schema_dir, schema_name, doc_path = sys.argv[1:4]
with open(os.path.join(schema_dir, schema_name)) as f:
    schema = json.load(f)
# The schemas refer to each other by relative paths.
resolver = jsonschema.RefResolver(base_uri="file://" + os.path.abspath(schema_dir) + "/",
                                  referrer=schema)
with open(doc_path) as f:
    jsonschema.validate(json.load(f), schema, resolver=resolver)
PY
}

# fake_container ID STATUS PID: a state.json as husk writes it, for list/state
# tests that need a container without running one.
fake_container() {
	mkdir -m 0711 -p "$ROOT/$1"
	cat >"$ROOT/$1/state.json" <<JSON
{"ociVersion":"1.3.0","id":"$1","pid":$3,"status":"$2","bundle":"/srv/$1","rootfs":"/srv/$1/rootfs","created":"2024-01-02T03:04:05.123456789Z","owner":"","annotations":{"b.key":"2","a.key":"1"},"husk":{"initStartTime":0,"cgroupPath":"","configPath":""}}
JSON
}
