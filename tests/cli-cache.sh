#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-cache.sh - the catalog cache (upgrade(1), FILES) is a speed-up only:
#  - a run remembers each catalog file that loaded without a diagnostic,
#    and what it built, in a directory private to the user, and a later run
#    takes the same bytes as built, neither validating nor parsing them;
#  - a changed file, a changed schema, a garbled, cut or replaced entry,
#    an entry that is a link or a FIFO, a directory others may write to:
#    each is validated again (or the cache is not used), and a file made
#    invalid is refused exactly as without a cache;
#  - entries unused for 30 days, and what a killed writer left, are removed
#    when a new entry is written; a hit keeps its entry;
#  - a missing cache directory is made only inside a directory of the user's;
#  - validate and check-install, and --no-cache, never use it;
#  - a catalog large enough for the loader's huge pages applies the same,
#    row for row, from a cold cache and taken as built.
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
C=$T_TMP/cat
mkdir -p "$C"
printf '<module %s name="a">\n<task name="one"><sql>CREATE TABLE t1 (id INTEGER)</sql></task>\n</module>\n' "$NS" >"$C/a.xml"
printf '<module %s name="b">\n<depends module="a"/>\n<task name="two"><sql>CREATE TABLE t2 (id INTEGER)</sql></task>\n</module>\n' "$NS" >"$C/b.xml"
cache=$XDG_CACHE_HOME/upgrade
db=$T_TMP/c.db

# known N DESCRIPTION: a status run says N files were known valid.
known() {
	run "$UPGRADE" -vv -T "$C" -d "$db" status
	expect_rc 0 "$2: status"
	expect_err "catalog cache: $1 files known valid" "$2: $1 files known valid"
}
entries() { find "$cache" -maxdepth 1 -name 'compiled-1-*' | wc -l | tr -d ' '; }

run "$UPGRADE" -vv -T "$C" -d "$db" run
expect_rc 0 "the first run"
expect_err "catalog cache: 0 files known valid" "the first run validates both files"
[ "$(stat -c %a "$cache")" = 700 ] && ok "the cache directory is private (700)" ||
	not_ok "cache directory mode $(stat -c %a "$cache" 2>&1)"
[ "$(entries)" = 2 ] && ok "one entry per file" || not_ok "entries: $(entries)"
# entry_key FILE: the key an entry says it was written for.
entry_key() { tail -c +41 "$1" | head -c 64; }
for f in "$cache"/compiled-1-*; do
	name=${f##*/compiled-1-}
	[ "$(head -c 7 "$f")" = UPGCMP1 ] && [ "$(entry_key "$f")" = "$name" ] &&
		[ "$(stat -c %a "$f")" = 600 ] ||
		not_ok "entry $f: '$(head -c 7 "$f")' '$(entry_key "$f")', mode $(stat -c %a "$f")"
done
ok "each entry is a compiled module holding its own name, mode 600"
known 2 "a second load"
expect_err "2 of them taken as built, not parsed" "a second load parses neither file"

# The key is the library's version, the schema's digest, the library's
# build ID and the bytes.
version=$("$UPGRADE" --version | sed -n '1s/^upgrade \([^ ]*\).*/\1/p')
schema=$(sha256sum <"$UPGRADE_SCHEMA" | cut -c1-64)
# The library's, or the command's when the library is linked into it.
build_id=
for f in "$top_builddir/.libs/libupgrade.so.0" "$top_builddir/.libs/upgrade" "$top_builddir/upgrade"; do
	[ -f "$f" ] && build_id=$(readelf -n "$f" 2>/dev/null | sed -n 's/^ *Build ID: //p')
	[ -z "$build_id" ] || break
done
[ -n "$build_id" ] && ok "the library has a build ID ($build_id)" || not_ok "no build ID in libupgrade"
# libxml2's version as the library reports it at run time (2.9.14: 20914).
xml_version=$(pkg-config --modversion libxml-2.0 | awk -F. '{ printf "%d%02d%02d", $1, $2, $3 }')
key_of() { { printf '%s\0%s\0%s\0%s\0' "$version" "$schema" "$xml_version" "$build_id"; cat "$1"; } | sha256sum | cut -c1-64; }
key=$(key_of "$C/a.xml")
[ -f "$cache/compiled-1-$key" ] && ok "the entry of a.xml is named by version, schema digest, build and bytes" ||
	not_ok "no entry compiled-1-$key" "$(ls "$cache")"

# A changed file is validated again; made invalid, it is refused.
printf '<!-- changed -->\n' >>"$C/a.xml"
known 1 "a.xml changed"
[ "$(entries)" = 3 ] && ok "the changed file gets an entry of its own" || not_ok "entries: $(entries)"
sed 's/<task name="one">/<task name="one" colour="red">/' "$C/a.xml" >"$C/a.tmp" && mv "$C/a.tmp" "$C/a.xml"
run "$UPGRADE" -T "$C" -d "$db" run
expect_rc 4 "a.xml made invalid: refused as a catalog error"
expect_err "a.xml:2: error: .*colour" "the schema violation is reported with file and line"
[ "$(entries)" = 3 ] && ok "an invalid file is not remembered" || not_ok "entries: $(entries)"
printf '<module %s name="a">\n<task name="one"><sql>CREATE TABLE t1 (id INTEGER)</sql></task>\n</module>\n' "$NS" >"$C/a.xml"
known 2 "a.xml as it was: its entry is still there"

# Another schema (here: the same one with a comment) knows nothing yet.
cp "$UPGRADE_SCHEMA" "$T_TMP/other.rng"
printf '<!-- another schema -->\n' >>"$T_TMP/other.rng"
UPGRADE_SCHEMA=$T_TMP/other.rng known 0 "another schema"
UPGRADE_SCHEMA=$T_TMP/other.rng known 2 "another schema, loaded again"
# A schema that pulls in another file is not named by its own bytes: no
# file is known valid under it, so a change to the file pulled in counts.
mkdir -p "$T_TMP/split"
cp "$UPGRADE_SCHEMA" "$T_TMP/split/part.rng"
printf '<?xml version="1.0"?>\n<externalRef xmlns="http://relaxng.org/ns/structure/1.0" href="part.rng"/>\n' \
	>"$T_TMP/split/main.rng"
UPGRADE_SCHEMA=$T_TMP/split/main.rng known 0 "a schema with <externalRef>"
UPGRADE_SCHEMA=$T_TMP/split/main.rng known 0 "a schema with <externalRef>, loaded again: still unknown"
sed 's/<element name="task">/<element name="job">/' "$T_TMP/split/part.rng" >"$T_TMP/split/p.tmp" &&
	mv "$T_TMP/split/p.tmp" "$T_TMP/split/part.rng"
UPGRADE_SCHEMA=$T_TMP/split/main.rng run "$UPGRADE" -T "$C" -d "$db" status
expect_rc 4 "the file it pulls in changed: the catalogs are validated against it"
# The same schema in UTF-16, whose tags a byte search cannot see.
iconv -f UTF-8 -t UTF-16 "$T_TMP/split/main.rng" >"$T_TMP/split/main16.rng"
cp "$UPGRADE_SCHEMA" "$T_TMP/split/part.rng"
UPGRADE_SCHEMA=$T_TMP/split/main16.rng known 0 "a UTF-16 schema with <externalRef>"
UPGRADE_SCHEMA=$T_TMP/split/main16.rng known 0 "a UTF-16 schema with <externalRef>, loaded again: still unknown"

# Garbled, cut short, replaced by a link or a FIFO: ignored, and
# replaced by an intact entry on the next load.
rm -f "$cache"/compiled-1-*
known 0 "the two entries of this schema only"
for f in "$cache"/compiled-1-*; do printf 'garbage' >"$f"; done
known 0 "garbled entries"
known 2 "entries written again"
for f in "$cache"/compiled-1-*; do : >"$f"; done
known 0 "empty entries"
for f in "$cache"/compiled-1-*; do
	[ "$(entry_key "$f")" = "${f##*/compiled-1-}" ] || not_ok "entry $f not rewritten"
done
ok "entries rewritten whole"
known 2 "entries rewritten"
expect_err "2 of them taken as built" "rewritten entries are taken as built"

# An entry cut short, or with a byte changed, is not taken as built: the
# file is validated and parsed again, and the entry written again.
for f in "$cache"/compiled-1-*; do
	size=$(stat -c %s "$f")
	head -c $((size - 1)) "$f" >"$f.cut" && mv "$f.cut" "$f"
done
known 0 "entries cut short"
expect_err "0 of them taken as built" "entries cut short are not read"
for f in "$cache"/compiled-1-*; do
	{ head -c 200 "$f"; printf 'X'; tail -c +202 "$f"; } >"$f.flip" && mv "$f.flip" "$f"
done
known 0 "entries with a byte changed"
known 2 "entries written again after the change"
# An entry far larger than its file could build (64 MiB, sparse, for a file
# of a hundred bytes) is refused by its size before a byte of it is read
# or hashed: the process does not grow by it.
peak_kib() {
	python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
}
base=$(peak_kib "$UPGRADE" -T "$C" -d "$db" status)
for f in "$cache"/compiled-1-*; do truncate -s 64M "$f"; done
big=$(peak_kib "$UPGRADE" -T "$C" -d "$db" status)
[ $((big - base)) -lt 32768 ] && ok "an entry of 64 MiB for a small file is not read (peak $base -> $big KiB)" ||
	not_ok "an entry of 64 MiB was read: peak $base -> $big KiB"
known 2 "entries written again after the oversized ones"
rm -f "$cache"/compiled-1-*
known 0 "no entries"
for f in "$cache"/compiled-1-*; do
	mv "$f" "$f.real"
	ln -s "$f.real" "$f"
done
known 0 "entries that are symbolic links"
rm -f "$cache"/compiled-1-*
for f in "$cache"/compiled-1-*.real; do mkfifo "${f%.real}"; done
run timeout 20 "$UPGRADE" -vv -T "$C" -d "$db" status
expect_rc 0 "entries that are FIFOs: no wait"
expect_err "catalog cache: 0 files known valid" "FIFOs are not entries"
rm -f "$cache"/compiled-1-*

# Entries unused for 30 days go when a new one is written, and so do files
# a killed writer left for over an hour; a hit keeps its entry.
rm -f "$cache"/compiled-1-* "$cache"/.compiled-1-*
known 0 "fresh, for expiry"
a1=$(key_of "$C/a.xml")
b1=$(key_of "$C/b.xml")
printf '<!-- v2 -->\n' >>"$C/b.xml"
known 1 "b.xml changed once"
b2=$(key_of "$C/b.xml")
touch -d '40 days ago' "$cache/compiled-1-$a1" "$cache/compiled-1-$b1"
: >"$cache/.compiled-1-$b1.99998"
touch -d '2 hours ago' "$cache/.compiled-1-$b1.99998"
: >"$cache/.compiled-1-$b1.99999"
printf '<!-- v3 -->\n' >>"$C/b.xml"
known 1 "b.xml changed again"
b3=$(key_of "$C/b.xml")
[ ! -e "$cache/compiled-1-$b1" ] && ok "an entry unused for 40 days is gone" ||
	not_ok "the unused entry of b.xml's first version is still there"
[ -e "$cache/compiled-1-$a1" ] && ok "an old entry that was just used stays" ||
	not_ok "a.xml's entry, used by this load, was removed"
[ -e "$cache/compiled-1-$b2" ] && [ -e "$cache/compiled-1-$b3" ] && ok "recent entries stay" ||
	not_ok "a recent entry was removed" "$(ls -la "$cache")"
[ ! -e "$cache/.compiled-1-$b1.99998" ] && [ -e "$cache/.compiled-1-$b1.99999" ] &&
	ok "a writer's leftover goes after an hour, not before" ||
	not_ok "leftovers of killed writers" "$(ls -la "$cache")"
known 2 "both files known after the clean-up"

# A directory others may write to is not used at all.
rm -f "$cache"/compiled-1-* "$cache"/.compiled-1-*
known 0 "fresh"
chmod 777 "$cache"
known 0 "a directory anyone may write to"
rm -f "$cache"/compiled-1-*
known 0 "still not used"
[ "$(entries)" = 0 ] && ok "nothing written there" || not_ok "entries: $(entries)"
chmod 700 "$cache"

# A missing cache directory is made only inside a directory of the user's:
# root with another user's $HOME leaves nothing of root's there.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	mkdir "$T_TMP/theirs" && chown nobody "$T_TMP/theirs"
	XDG_CACHE_HOME=$T_TMP/theirs/.cache run "$UPGRADE" -vv -T "$C" -d "$db" status
	expect_rc 0 "another user's directory: the run goes on"
	[ ! -e "$T_TMP/theirs/.cache" ] && ok "nothing made in another user's directory" ||
		not_ok "root made $T_TMP/theirs/.cache"
else
	t_skip=$((t_skip + 1))
	echo "skip - another user's directory: needs root (to give a directory to nobody)"
fi

# A cache that cannot be made changes nothing.
run "$UPGRADE" -vv --cache-dir /dev/null/upgrade -T "$C" -d "$db" status
expect_rc 0 "a cache directory that cannot be made: the run goes on"
expect_err "catalog cache: 0 files known valid" "nothing known"

# --cache-dir, --no-cache, validate and check-install.
run "$UPGRADE" -vv --cache-dir "$T_TMP/mine" -T "$C" -d "$db" status
expect_rc 0 "--cache-dir"
[ -n "$(find "$T_TMP/mine" -name 'compiled-1-*' 2>/dev/null)" ] && ok "--cache-dir is used" ||
	not_ok "nothing in --cache-dir"
# A relative --cache-dir is made in the working directory (the user's).
mkdir "$T_TMP/work"
(cd "$T_TMP/work" && "$UPGRADE" -vv --cache-dir rel/cache -T "$C" -d "$db" status >/dev/null 2>&1)
(cd "$T_TMP/work" && "$UPGRADE" -vv --cache-dir rel/cache -T "$C" -d "$db" status 2>"$T_TMP/rel.err" >/dev/null)
[ -n "$(find "$T_TMP/work/rel/cache" -name 'compiled-1-*' 2>/dev/null)" ] &&
	grep -q "2 files known valid" "$T_TMP/rel.err" && ok "a relative --cache-dir is made and used" ||
	not_ok "relative --cache-dir" "$(cat "$T_TMP/rel.err"; ls -laR "$T_TMP/work" 2>&1)"
rm -rf "$cache"
run "$UPGRADE" -vv --no-cache -T "$C" -d "$db" status
expect_rc 0 "--no-cache"
expect_no "catalog cache" "--no-cache: no cache mentioned"
[ ! -e "$cache" ] && ok "--no-cache: no directory made" || not_ok "$cache was made"
run "$UPGRADE" -vv -T "$C" validate
expect_rc 0 "validate"
[ ! -e "$cache" ] && ok "validate does not use the cache" || not_ok "$cache was made by validate"

# Another file's entry, renamed to the key of an invalid file, is not taken
# for it (the key inside does not match): the file is validated and refused.
# validate reads no entry at all.
printf '<module %s name="a">\n<task name="one" colour="red"><sql>SELECT 1</sql></task>\n</module>\n' "$NS" >"$T_TMP/bad.xml"
run "$UPGRADE" -q -T "$C/a.xml" -d "$db" status
expect_rc 0 "a.xml remembered again"
good=$(key_of "$C/a.xml")
key=$(key_of "$T_TMP/bad.xml")
[ -f "$cache/compiled-1-$good" ] && cp "$cache/compiled-1-$good" "$cache/compiled-1-$key" ||
	not_ok "no entry for a.xml" "$(ls "$cache")"
run "$UPGRADE" -vv -T "$T_TMP/bad.xml" -d "$T_TMP/bad.db" status
expect_rc 4 "an entry renamed to an invalid file's key: refused as a catalog error"
expect_err "bad.xml:2: error: .*colour" "the renamed entry: the schema violation"
run "$UPGRADE" validate "$T_TMP/bad.xml"
expect_rc 4 "validate checks a file whatever the cache says"
expect_err "bad.xml:2: error: .*colour" "validate: the schema violation"

# The example catalogs on fresh databases: once validated, once taken as
# built from the cache; both get the same tables, indexes and state, and a
# later run finds nothing to do in either.
ex=$top_srcdir/tasks/examples
dump() { sqlite3 "$1" .schema "SELECT module, state FROM upgrades ORDER BY module"; }
rm -rf "$cache"
run "$UPGRADE" -q --no-cache -T "$ex" -d "$T_TMP/ex-plain.db" run
expect_rc 0 "the examples on a fresh database, validated"
run "$UPGRADE" -q -T "$ex" -d "$T_TMP/ex-warm.db" run
expect_rc 0 "the examples, remembering them"
run "$UPGRADE" -vv -T "$ex" -d "$T_TMP/ex-hit.db" run
expect_rc 0 "the examples on a fresh database, known valid"
expect_err "catalog cache: 3 files known valid" "all three example files were known valid"
expect_err "3 of them taken as built, not parsed" "all three example files were taken as built"
dump "$T_TMP/ex-plain.db" >"$T_TMP/ex-plain.dump"
dump "$T_TMP/ex-hit.db" >"$T_TMP/ex-hit.dump"
[ -s "$T_TMP/ex-plain.dump" ] && cmp -s "$T_TMP/ex-plain.dump" "$T_TMP/ex-hit.dump" &&
	ok "known valid or not, the same schema and state" ||
	not_ok "the databases differ" "$(diff "$T_TMP/ex-plain.dump" "$T_TMP/ex-hit.dump" 2>&1)"
run "$UPGRADE" -T "$ex" -d "$T_TMP/ex-hit.db" status --check
expect_rc 0 "nothing pending after the run from known-valid files"

# Eight runs at once against one cold cache (a deployment starting several
# workers): each writes the entries it made aside and renames them, so all
# succeed, the next run takes every file as built, and no half-written
# entry is left behind.
rm -rf "$cache"
i=0
while [ "$i" -lt 8 ]; do
	"$UPGRADE" -q -T "$ex" -d "$T_TMP/race-$i.db" run >"$T_TMP/race-$i.out" 2>&1 &
	i=$((i + 1))
done
wait
i=0
failed=
while [ "$i" -lt 8 ]; do
	sqlite3 "$T_TMP/race-$i.db" "SELECT count(*) FROM upgrades" 2>/dev/null | grep -q '^3$' ||
		failed="$failed $i"
	i=$((i + 1))
done
[ -z "$failed" ] && ok "eight concurrent runs on a cold cache all apply the examples" ||
	not_ok "concurrent runs failed:$failed" "$(cat "$T_TMP"/race-*.out)"
run "$UPGRADE" -vv -T "$ex" -d "$T_TMP/race-after.db" run
expect_rc 0 "a run after the race"
expect_err "3 of them taken as built" "every entry written in the race is whole"
[ -z "$(find "$cache" -name '.compiled-1-*' 2>/dev/null)" ] && ok "no half-written entry left" ||
	not_ok "left behind" "$(ls -la "$cache")"
dump "$T_TMP/race-after.db" >"$T_TMP/race-after.dump"
cmp -s "$T_TMP/ex-plain.dump" "$T_TMP/race-after.dump" && ok "the same schema and state as without a cache" ||
	not_ok "the databases differ" "$(diff "$T_TMP/ex-plain.dump" "$T_TMP/race-after.dump" 2>&1)"

# Tasks taken as built run as parsed ones do: a module's new tasks (a guard,
# an operation, a choice, a raw step), applied from the cache and with
# --no-cache, leave the same tables, rows and state.
E=$T_TMP/evolve
mkdir -p "$E"
printf '<module %s name="e">\n<task name="one"><sql>CREATE TABLE e1 (id INTEGER)</sql></task>\n</module>\n' "$NS" >"$E/e.xml"
run "$UPGRADE" -q -T "$E" -d "$T_TMP/e-built.db" run
expect_rc 0 "module e, first version"
cp "$T_TMP/e-built.db" "$T_TMP/e-parsed.db"
cat >"$E/e.xml" <<EOF
<module $NS name="e">
<task name="one"><sql>CREATE TABLE e1 (id INTEGER)</sql></task>
<task name="two"><only-if><not><has-table table="e2"/></not></only-if>
  <create-table name="e2"><column name="id" type="integer" primary-key="true"/>
  <column name="label" type="varchar" length="20"/></create-table></task>
<task name="three"><choose><when dialect="sqlite"><sql>INSERT INTO e2 (id, label) VALUES (1, 'sqlite')</sql></when>
  <otherwise><sql>INSERT INTO e2 (id, label) VALUES (1, 'other')</sql></otherwise></choose>
  <sql>INSERT INTO e2 (id, label) VALUES (2, 'both')</sql></task>
<task name="four" raw="true"><step><sql>CREATE TABLE IF NOT EXISTS e3 (n INTEGER)</sql></step></task>
</module>
EOF
run "$UPGRADE" -q -T "$E" -d "$T_TMP/e-built.db" status
run "$UPGRADE" -vv -T "$E" -d "$T_TMP/e-built.db" run
expect_rc 0 "module e's new tasks, taken as built"
expect_err "1 of them taken as built" "module e was not parsed"
run "$UPGRADE" -q --no-cache -T "$E" -d "$T_TMP/e-parsed.db" run
expect_rc 0 "module e's new tasks, parsed"
edump() { dump "$1"; sqlite3 "$1" "SELECT id, label FROM e2 ORDER BY id"; }
edump "$T_TMP/e-built.db" >"$T_TMP/e-built.dump"
edump "$T_TMP/e-parsed.db" >"$T_TMP/e-parsed.dump"
grep -q "2|both" "$T_TMP/e-built.dump" && grep -q "1|sqlite" "$T_TMP/e-built.dump" &&
	grep -q "CREATE TABLE e3" "$T_TMP/e-built.dump" && cmp -s "$T_TMP/e-built.dump" "$T_TMP/e-parsed.dump" &&
	ok "taken as built or parsed, the same tables, rows and state" ||
	not_ok "the databases differ" "$(diff "$T_TMP/e-built.dump" "$T_TMP/e-parsed.dump" 2>&1; cat "$T_TMP/e-built.dump")"


# A catalog whose tree passes 2 MiB, so that the loader's memory comes in
# huge pages: 4,000 tasks applied for real to fresh databases, once with the
# cache cold and once taken as built from it.  Every task's text must arrive
# whole and in order, and the two databases must be the same.
mkdir -p "$T_TMP/big1" "$T_TMP/big2"
printf '<module %s name="big">\n<install><sql>CREATE TABLE big (n INTEGER, pad TEXT)</sql></install>\n<task name="t0"><sql>CREATE TABLE big (n INTEGER, pad TEXT)</sql></task>\n</module>\n' \
	"$NS" >"$T_TMP/big1/big.xml"
pad=$(awk 'BEGIN { for (k = 0; k < 60; k++) printf "0123456789" }')
awk -v ns="$NS" -v pad="$pad" 'BEGIN {
	print "<module " ns " name=\"big\">"
	print "<install><sql>CREATE TABLE big (n INTEGER, pad TEXT)</sql></install>"
	print "<task name=\"t0\"><sql>CREATE TABLE big (n INTEGER, pad TEXT)</sql></task>"
	for (i = 1; i <= 4000; i++)
		printf "<task name=\"t%d\"><sql>INSERT INTO big VALUES (%d, \047%s%d\047)</sql></task>\n", i, i, pad, i
	print "</module>"
}' >"$T_TMP/big2/big.xml"
rm -rf "$cache"
for pass in cold built; do
	bdb=$T_TMP/big-$pass.db
	run "$UPGRADE" -T "$T_TMP/big1" -d "$bdb" run
	expect_rc 0 "big catalog, cache $pass: the fresh database installed"
	run "$UPGRADE" -vv -T "$T_TMP/big2" -d "$bdb" run
	expect_rc 0 "big catalog, cache $pass: 4,000 tasks applied"
	if [ "$pass" = cold ]; then want=0; else want=1; fi
	expect_err "catalog cache: $want files known valid" "big catalog, cache $pass: $want files known valid"
	got=$(sqlite3 "$bdb" "SELECT count(*), sum(n), sum(pad = '$pad' || n), min(rowid = n) FROM big")
	if [ "$got" = "4000|8002000|4000|1" ]; then ok "big catalog, cache $pass: every row, whole and in order"; else
		not_ok "big catalog, cache $pass: rows (count|sum|whole|in order) $got, want 4000|8002000|4000|1"; fi
	run "$UPGRADE" -T "$T_TMP/big2" -d "$bdb" status --check
	expect_rc 0 "big catalog, cache $pass: nothing pending"
done
sqlite3 "$T_TMP/big-cold.db" '.dump big' >"$T_TMP/big-cold.sql"
sqlite3 "$T_TMP/big-built.db" '.dump big' >"$T_TMP/big-built.sql"
if [ -s "$T_TMP/big-cold.sql" ] && cmp -s "$T_TMP/big-cold.sql" "$T_TMP/big-built.sql"; then
	ok "big catalog: the database from the cache is the one without"
else
	not_ok "big catalog: the two databases differ" "$(diff "$T_TMP/big-cold.sql" "$T_TMP/big-built.sql" | head)"
fi
finish
