#!/usr/bin/env bats
# contrib/completion/bash/husk: every command and every flag husk's help
# lists is completed, and the values of the flags that have a fixed set.

bats_require_minimum_version 1.5.0

load helpers

COMPLETION="$BATS_TEST_DIRNAME/../../contrib/completion/bash/husk"

# complete WORD...: what the completion offers for the last word, one a line.
complete_words() {
	bash -c '
		husk() { "$HUSK" "$@"; }
		source "$1"; shift
		COMP_WORDS=(husk "$@"); COMP_CWORD=$#
		_husk
		printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" "$@"
}

@test "completion: every command of husk --help" {
	run -0 complete_words ""
	local offered=$output cmd
	for cmd in $("$HUSK" --help | sed -n '/^COMMANDS:/,/^$/p' | awk 'NR > 1 && $1 != "help," {print $1}'); do
		grep -qx "$cmd" <<<"$offered" || { echo "missing command $cmd"; false; }
	done
	grep -qx check <<<"$offered"
}

@test "completion: every flag of every command, and the global ones" {
	local cmd flag
	for cmd in $("$HUSK" --help | sed -n '/^COMMANDS:/,/^$/p' | awk 'NR > 1 && $1 != "help," {print $1}'); do
		run -0 complete_words "$cmd" -
		for flag in $("$HUSK" "$cmd" --help | sed -n '/^OPTIONS:/,$p' | grep -oE '^ +--?[a-z0-9-]+(, -[a-z])?' | tr -d ','); do
			grep -qx -- "$flag" <<<"$output" || { echo "husk $cmd: missing $flag"; false; }
		done
	done
	run -0 complete_words -
	for flag in $("$HUSK" --help | sed -n '/^GLOBAL OPTIONS:/,$p' | grep -oE '^ +--?[a-z0-9-]+(, -[a-z])?' | tr -d ','); do
		grep -qx -- "$flag" <<<"$output" || { echo "global: missing $flag"; false; }
	done
}

@test "completion: values of check --format, list --format, --rootless, --log-format" {
	run -0 complete_words check --format ""
	[ "$output" = $'text\njson' ]
	run -0 complete_words list -f ""
	[ "$output" = $'table\njson' ]
	run -0 complete_words --rootless ""
	[ "$output" = $'true\nfalse\nauto' ]
	run -0 complete_words --root /tmp --log-format j
	[ "$output" = json ]
	# after a global flag's value, the command
	run -0 complete_words --root /tmp ch
	[ "$output" = $'check\ncheckpoint' ]
}
