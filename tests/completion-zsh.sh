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

# The driver: types LINE and TAB in an interactive zsh whose fpath has the
# completion, then a key whose widget writes the edited line to OUT.
cat >"$T_TMP/drive.zsh" <<'EOF'
zmodload zsh/zpty || exit 2
dir=$1 prog=$2 out=$3 line=$4
zpty z zsh -f -i
zpty -w z "PS1='> '; bindkey -e; fpath=(${(q)dir} \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "upgrade() { ${(q)prog} \"\$@\" }"
zpty -w z "dump() { print -r -- \"\$BUFFER\" >${(q)out}.tmp && mv ${(q)out}.tmp ${(q)out} }; zle -N dump; bindkey '^X' dump"
zpty -w -n z "$line"$'\t'
zpty -w -n z $'\C-x'
for i in {1..200}; do
	[[ -f $out ]] && break
	sleep 0.1
done
zpty -d z
[[ -f $out ]]
EOF

# complete_line LINE: $out is the line after TAB.
complete_line() {
	rm -f "$T_TMP/buffer"
	run zsh -f "$T_TMP/drive.zsh" "$top_srcdir/completion/zsh" "$UPGRADE" "$T_TMP/buffer" "$1"
	if [ "$rc" -eq 0 ]; then out=$(cat "$T_TMP/buffer"); fi
}
expect_line() { # want description
	if [ "$rc" -eq 0 ] && [ "$out" = "$1" ]; then ok "$2"; else
		not_ok "$2 (exit $rc)" "got:  '$out'" "want: '$1'" "$err"; fi
}

complete_line 'upgrade st'
expect_line 'upgrade status ' "a command"
complete_line 'upgrade help lo'
expect_line 'upgrade help log ' "help completes commands"
complete_line 'upgrade run --dr'
expect_line 'upgrade run --dry-run ' "an option of the command"
complete_line 'upgrade status --dr'
expect_line 'upgrade status --dr' "not an option of another command"
complete_line 'upgrade --lock-timeout 5 ru'
expect_line 'upgrade --lock-timeout 5 run ' "a command after options and their arguments"
complete_line 'upgrade info --format j'
expect_line 'upgrade info --format json ' "an option's choices, from its help"
complete_line 'upgrade --color=al'
expect_line 'upgrade --color=always ' "choices after '='"
complete_line 'upgrade --dialect postg'
expect_line 'upgrade --dialect postgresql ' "the dialects"

mkdir -p "$T_TMP/cat"
cat >"$T_TMP/cat/shop.xml" <<'EOF'
<module xmlns="urn:upgrade:catalog:1" name="shop">
  <task name="Create"><sql>CREATE TABLE t (id INTEGER)</sql></task>
  <task name="Split names"><sql>CREATE TABLE u (id INTEGER)</sql></task>
</module>
EOF
complete_line "upgrade -T $T_TMP/cat mark shop:S"
expect_line "upgrade -T $T_TMP/cat mark shop:Split\\ names " "a task id with a space, from the catalog on the line"
complete_line "upgrade --tasks=$T_TMP/cat unmark sh"
expect_line "upgrade --tasks=$T_TMP/cat unmark shop:" "task ids: their common prefix"

finish
