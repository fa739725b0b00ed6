#!/bin/sh
# SPDX-License-Identifier: MIT
# completion-zsh.sh - the zsh completion of completion/zsh/_upgrade, in a
# real interactive zsh on a pseudo-terminal (zsh/zpty): a line is typed,
# TAB pressed, and the line as completion left it is read back.
. "$top_srcdir/tests/lib.sh"

if ! command -v zsh >/dev/null 2>&1; then
	not_ok "zsh is needed to test the zsh completion (Debian package zsh)"
	finish
fi

# The driver: in one interactive zsh whose fpath has the completion, types
# each LINE and TAB, then a key whose widget writes the edited line to
# OUT.N, then clears the line for the next, as a user at one prompt would.
cat >"$T_TMP/drive.zsh" <<'EOF'
zmodload zsh/zpty || exit 2
dir=$1 prog=$2 out=$3
shift 3
zpty z zsh -f -i
zpty -w z "PS1='> '; bindkey -e; fpath=(${(q)dir} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "upgrade() { ${(q)prog} \"\$@\" }"
zpty -w z "dump() { print -r -- \"\$BUFFER\" >\$_dump_to.tmp && mv \$_dump_to.tmp \$_dump_to }; zle -N dump; bindkey '^X' dump"
n=0 failed=0
for line in "$@"; do
	n=$((n + 1))
	zpty -w z "_dump_to=${(q)out}.$n"
	zpty -w -n z "$line"$'\t'
	zpty -w -n z $'\C-x'
	for i in {1..400}; do
		[[ -f $out.$n ]] && break
		sleep 0.05
	done
	# A line that never came back: abort the widget, go on with the next.
	[[ -f $out.$n ]] || { zpty -w -n z $'\C-g'; failed=1 }
	zpty -w -n z $'\C-u'
done
zpty -d z
(( ! failed ))
EOF

# add_case LINE WANT DESCRIPTION: after TAB at the end of LINE, the line is
# WANT.
n_cases=0
add_case() {
	n_cases=$((n_cases + 1))
	printf '%s\n' "$1" >"$T_TMP/case.$n_cases.line"
	printf '%s\n' "$2" >"$T_TMP/case.$n_cases.want"
	printf '%s\n' "$3" >"$T_TMP/case.$n_cases.what"
}

# run_cases: types every case's line in one zsh and checks each.  upgrade
# runs through a script that counts its runs, to check that the help is read
# once per shell, however often TAB is pressed.
run_cases() {
	cat >"$T_TMP/counting" <<EOF
#!/bin/sh
echo "\$*" >>"$T_TMP/runs"
exec "$UPGRADE" "\$@"
EOF
	chmod +x "$T_TMP/counting"
	: >"$T_TMP/runs"
	set --
	i=1
	while [ "$i" -le "$n_cases" ]; do
		set -- "$@" "$(cat "$T_TMP/case.$i.line")"
		i=$((i + 1))
	done
	run zsh -f "$T_TMP/drive.zsh" "$top_srcdir/completion/zsh" "$T_TMP/counting" "$T_TMP/buffer" "$@"
	[ "$rc" -eq 0 ] || not_ok "zsh did not complete every line (exit $rc)" "$err"
	i=1
	while [ "$i" -le "$n_cases" ]; do
		want=$(cat "$T_TMP/case.$i.want")
		if [ -f "$T_TMP/buffer.$i" ]; then out=$(cat "$T_TMP/buffer.$i"); else out="(no line written)"; fi
		if [ "$out" = "$want" ]; then ok "$(cat "$T_TMP/case.$i.what")"; else
			not_ok "$(cat "$T_TMP/case.$i.what")" "typed: '$(cat "$T_TMP/case.$i.line")'" \
				"got:   '$out'" "want:  '$want'"; fi
		i=$((i + 1))
	done
	helps=$(grep -c -x -e '--help' "$T_TMP/runs")
	again=$(grep -e '^--help$' -e '^help ' "$T_TMP/runs" | sort | uniq -d)
	if [ "$helps" -eq 1 ] && [ -z "$again" ]; then ok "each help is read once for $n_cases completions"; else
		not_ok "a help ran more than once for $n_cases completions in one shell" \
			"$(sort "$T_TMP/runs" | uniq -c)"; fi
}

# The first TAB reads the help: an option of a command there.
add_case 'upgrade run --dr' 'upgrade run --dry-run ' "an option of the command"
add_case 'upgrade st' 'upgrade status ' "a command"
add_case 'upgrade help lo' 'upgrade help log ' "help completes commands"
add_case 'upgrade status --dr' 'upgrade status --dr' "not an option of another command"
add_case 'upgrade --lock-timeout 5 ru' 'upgrade --lock-timeout 5 run ' \
	"a command after options and their arguments"
add_case 'upgrade info --format j' 'upgrade info --format json ' "an option's choices, from its help"
add_case 'upgrade --color=al' 'upgrade --color=always ' "choices after '='"
add_case 'upgrade --dialect postg' 'upgrade --dialect postgresql ' "the dialects"

mkdir -p "$T_TMP/cat"
cat >"$T_TMP/cat/shop.xml" <<'EOF'
<module xmlns="urn:upgrade:catalog:1" name="shop">
  <task name="Create"><sql>CREATE TABLE t (id INTEGER)</sql></task>
  <task name="Split names"><sql>CREATE TABLE u (id INTEGER)</sql></task>
</module>
EOF
add_case "upgrade -T $T_TMP/cat mark shop:S" "upgrade -T $T_TMP/cat mark shop:Split\\ names " \
	"a task id with a space, from the catalog on the line"
add_case "upgrade --tasks=$T_TMP/cat unmark sh" "upgrade --tasks=$T_TMP/cat unmark shop:" \
	"task ids: their common prefix"
run_cases

finish
