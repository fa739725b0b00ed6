#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-native.sh - upgrade(1) runs catalog tasks whose actions are C
# functions of the example task library (tests/native/example-tasks.c),
# found through UPGRADE_LIBRARY_PATH, on SQLite: a table created and
# filled from C, a column added and filled per row from C, then the
# catalog's own operations on top.  Then the libraries that must be
# refused: in or below a directory others may write (sticky or not),
# owned by another user, reached through a symbolic link.
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
LIBDIR="$top_builddir/tests/native/.libs"
if [ ! -f "$LIBDIR/example-tasks.so" ]; then
	not_ok "the example task library is built ($LIBDIR/example-tasks.so)"
	finish
fi

# A build tree below a directory anyone may write (a package built in
# /tmp): no library in it may be loaded, which is all there is to test.
if ! trusted "$LIBDIR"; then
	printf '<module %s name="ctx.cli"><task name="t" always-run="true"><native library="example-tasks.so" symbol="example_noop"/></task></module>\n' \
		"$NS" >"$T_TMP/c.xml"
	run env UPGRADE_LIBRARY_PATH="$LIBDIR" "$UPGRADE" -T "$T_TMP/c.xml" -d "$T_TMP/refused.db" run
	expect_rc 2 "the build tree $LIBDIR is not trusted: its libraries are refused"
	expect_err 'native library example-tasks\.so refused: .* is writable by' "the offending directory is named"
fi
# From here on the libraries come from a directory that may be trusted.  A
# Debian package build has neither: the tree is below /tmp and debhelper
# points HOME into it; there the refusal above is all there is to test.
if ! trusted_tmpdir SAFE; then
	if trusted "$LIBDIR"; then
		not_ok "the build tree is trusted, but no directory below it could be made"
	fi
	finish
fi
if ! trusted "$LIBDIR"; then
	mkdir -m 755 "$SAFE/lib"
	cp "$LIBDIR/example-tasks.so" "$SAFE/lib/" && chmod 644 "$SAFE/lib/example-tasks.so"
	LIBDIR=$SAFE/lib
fi

create='<task name="Create notes" always-run="true">
  <only-if><not><has-table table="notes"/></not></only-if>
  <native library="example-tasks.so" symbol="example_create_notes" arg="notes"/>
</task>'
slug='<task name="Add slug">
  <only-if><not><has-column table="notes" column="slug"/></not></only-if>
  <native library="example-tasks.so" symbol="example_add_slug" arg="notes"/>
  <create-index name="ux_notes_slug" table="notes" columns="slug" unique="true"/>
</task>'
check='<task name="Duplicate slug"><sql>INSERT INTO notes (id, title, slug) VALUES (9, '"'"'x'"'"', '"'"'hello-world'"'"')</sql></task>'

mkdir -p "$T_TMP/v1" "$T_TMP/v2" "$T_TMP/v3"
printf '<module %s name="ctx.cli">%s</module>\n' "$NS" "$create" >"$T_TMP/v1/c.xml"
printf '<module %s name="ctx.cli">%s%s</module>\n' "$NS" "$create" "$slug" >"$T_TMP/v2/c.xml"
printf '<module %s name="ctx.cli">%s%s%s</module>\n' "$NS" "$create" "$slug" "$check" >"$T_TMP/v3/c.xml"
db="$T_TMP/native.db"

run env UPGRADE_LIBRARY_PATH="$LIBDIR" "$UPGRADE" -T "$T_TMP/v1" -d "$db" run
expect_rc 0 "the native always-run task runs"
expect_out '^\* ctx\.cli:Create notes$' "it is reported"

run env UPGRADE_LIBRARY_PATH="$LIBDIR" "$UPGRADE" -T "$T_TMP/v1" -d "$db" run
expect_rc 0 "second run"
expect_out '^no pending upgrade tasks found$' "its guard no longer holds"

run env UPGRADE_LIBRARY_PATH="$LIBDIR" "$UPGRADE" -T "$T_TMP/v2" -d "$db" run
expect_rc 0 "the per-row fill from C runs"
expect_out '^\* ctx\.cli:Add slug$' "it is reported"

# The slugs are there: a duplicate of one is refused by the new unique index.
run env UPGRADE_LIBRARY_PATH="$LIBDIR" "$UPGRADE" -T "$T_TMP/v3" -d "$db" run
expect_rc 2 "a duplicate slug fails the task"
expect_err 'UNIQUE' "because of the unique index on the filled column"

# Without the path, the library is not found, and the message says where it looked.
run env -u UPGRADE_LIBRARY_PATH "$UPGRADE" -T "$T_TMP/v1" -d "$T_TMP/other.db" run
expect_rc 2 "without UPGRADE_LIBRARY_PATH the task fails"
expect_err 'native library example-tasks\.so not found' "the library is not searched elsewhere"


# The example of upgrade_context(3) compiles as it is printed, and its
# library is found beside the catalog that names it.
mkdir -p "$SAFE/man"
"${MANDOC:-mandoc}" -Tascii "$top_srcdir/man/upgrade_context.3" | sed 's/.\x08//g' |
	awk '/^EXAMPLES/ { ex = 1 } ex && /^     #include/ { on = 1 }
	     on && (/^SEE ALSO/ || /^     Built with/) { exit } on { sub(/^     /, ""); print }' \
	>"$SAFE/man/example.c"
run ${CC:-cc} ${SAN_CFLAGS:-} -std=c99 -Wall -Werror -shared -fPIC -I"$top_srcdir/include" \
	-I"$top_builddir/include" "$SAFE/man/example.c" -o "$SAFE/man/man-example.so"
expect_rc 0 "the upgrade_context(3) example compiles"
printf '<module %s name="ctx.man">%s%s</module>\n' "$NS" "$create" '<task name="Slug" always-run="true">
  <only-if><not><has-column table="notes" column="slug"/></not></only-if>
  <native library="man-example.so" symbol="example_add_slug" arg="notes"/>
</task>' >"$SAFE/man/c.xml"
run env UPGRADE_LIBRARY_PATH="$LIBDIR" "$UPGRADE" -T "$SAFE/man" -d "$T_TMP/man.db" run
expect_rc 0 "the example runs from beside its catalog"
expect_out '^\* ctx\.man:Slug$' "it adds the column"
run env UPGRADE_LIBRARY_PATH="$LIBDIR" "$UPGRADE" -T "$SAFE/man" -d "$T_TMP/man.db" run
expect_rc 0 "and again"
expect_out '^no pending upgrade tasks found$' "then finds nothing to do"


# Libraries nobody but root and us could have put there, and nothing else.
# Each case is a catalog beside its library, run without
# UPGRADE_LIBRARY_PATH; the task creates the table "planted".
# refused DIR PATTERN DESCRIPTION: the library beside DIR/c.xml is refused:
# the task fails with a message naming the library, the path tried and
# what is wrong (matching PATTERN).
planted='<task name="Plant" always-run="true"><native library="natlib.so" symbol="example_create_notes" arg="planted"/></task>'
refused() {
	printf '<module %s name="ctx.plant">%s</module>\n' "$NS" "$planted" >"$1/c.xml"
	rm -f "$T_TMP/plant.db"
	run env -u UPGRADE_LIBRARY_PATH "$UPGRADE" -T "$1/c.xml" -d "$T_TMP/plant.db" run
	expect_rc 2 "$3: refused"
	expect_err "native library natlib\.so refused: $1/natlib\.so: $2" "$3: the path and the reason are named"
}
lib=$LIBDIR/example-tasks.so

# The control: a library of ours in a directory of ours is loaded.
mkdir -m 755 "$SAFE/ok"
cp "$lib" "$SAFE/ok/natlib.so"
chmod 644 "$SAFE/ok/natlib.so"
printf '<module %s name="ctx.plant">%s</module>\n' "$NS" "$planted" >"$SAFE/ok/c.xml"
run env -u UPGRADE_LIBRARY_PATH "$UPGRADE" -T "$SAFE/ok/c.xml" -d "$T_TMP/ok.db" run
expect_rc 0 "a library beside its catalog in a directory of ours is loaded"
expect_out '^\* ctx\.plant:Plant$' "its task ran"

# A catalog in a sticky directory anyone may write, like /tmp: anyone could
# have put the library there.
mkdir -m 1777 "$SAFE/sticky" && chmod 1777 "$SAFE/sticky"
cp "$lib" "$SAFE/sticky/natlib.so"
chmod 644 "$SAFE/sticky/natlib.so"
refused "$SAFE/sticky" "directory $SAFE/sticky is writable by anyone \(mode 1777\)" \
	"a library in a sticky world-writable directory"

# A group-writable directory, and one below a world-writable directory.
mkdir -m 775 "$SAFE/group" && chmod 775 "$SAFE/group"
cp "$lib" "$SAFE/group/natlib.so"
chmod 644 "$SAFE/group/natlib.so"
refused "$SAFE/group" "directory $SAFE/group is writable by its group \(mode 0775\)" \
	"a library in a group-writable directory"
mkdir -m 777 "$SAFE/open" && chmod 777 "$SAFE/open"
mkdir -m 755 "$SAFE/open/lib"
cp "$lib" "$SAFE/open/lib/natlib.so"
chmod 644 "$SAFE/open/lib/natlib.so"
refused "$SAFE/open/lib" "directory $SAFE/open is writable by anyone \(mode 0777\)" \
	"a library below a world-writable directory"

# A group-writable library in a directory of ours.
mkdir -m 755 "$SAFE/gfile"
cp "$lib" "$SAFE/gfile/natlib.so"
chmod 664 "$SAFE/gfile/natlib.so"
refused "$SAFE/gfile" "file $SAFE/gfile/natlib.so is writable by its group \(mode 0664\)" \
	"a group-writable library"

# A symbolic link in a directory of ours to a library in a 0777 directory.
mkdir -m 755 "$SAFE/link"
ln -s "../open/lib/natlib.so" "$SAFE/link/natlib.so"
refused "$SAFE/link" "directory $SAFE/open is writable by anyone" \
	"a link to a library below a world-writable directory"
# A dangling link and a FIFO in its place: named, never waited on.
mkdir -m 755 "$SAFE/dangling" "$SAFE/fifo"
ln -s "no-such.so" "$SAFE/dangling/natlib.so"
refused "$SAFE/dangling" "cannot resolve $SAFE/dangling/natlib\.so: No such file" "a dangling link"
mkfifo "$SAFE/fifo/natlib.so"
refused "$SAFE/fifo" "$SAFE/fifo/natlib\.so is not a regular file" "a FIFO"

# A library owned by another user (nobody), in a directory of ours and
# beside a catalog in a sticky directory: as root, the defect's own case.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	nobody=$(id -u nobody)
	mkdir -m 755 "$SAFE/theirs"
	cp "$lib" "$SAFE/theirs/natlib.so"
	chmod 644 "$SAFE/theirs/natlib.so"
	chown nobody "$SAFE/theirs/natlib.so"
	refused "$SAFE/theirs" "file $SAFE/theirs/natlib\.so is owned by uid $nobody, not by root or uid 0" \
		"a library owned by nobody"
	chown nobody "$SAFE/sticky/natlib.so"
	refused "$SAFE/sticky" "directory $SAFE/sticky is writable by anyone" \
		"a library owned by nobody in a sticky directory"
	# A directory owned by nobody, even one only its owner may write.
	mkdir -m 755 "$SAFE/nobodys"
	cp "$lib" "$SAFE/nobodys/natlib.so"
	chmod 644 "$SAFE/nobodys/natlib.so"
	chown nobody "$SAFE/nobodys"
	refused "$SAFE/nobodys" "directory $SAFE/nobodys is owned by uid $nobody" \
		"a library in a directory owned by nobody"
else
	echo "# not root: the cases with files owned by nobody are left out"
fi

finish
