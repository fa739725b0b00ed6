#!/bin/sh
# cli-native.sh - upgrade(1) runs catalog tasks whose actions are C
# functions of the example task library (tests/native/example-tasks.c),
# found through UPGRADE_LIBRARY_PATH, on SQLite: a table created and
# filled from C, a column added and filled per row from C, then the
# catalog's own operations on top.
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
LIBDIR="$top_builddir/tests/native/.libs"
if [ ! -f "$LIBDIR/example-tasks.so" ]; then
	not_ok "the example task library is built ($LIBDIR/example-tasks.so)"
	finish
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
mkdir -p "$T_TMP/man"
"${MANDOC:-mandoc}" -Tascii "$top_srcdir/man/upgrade_context.3" | sed 's/.\x08//g' |
	awk '/^EXAMPLES/ { ex = 1 } ex && /^     #include/ { on = 1 }
	     on && (/^SEE ALSO/ || /^     Built with/) { exit } on { sub(/^     /, ""); print }' \
	>"$T_TMP/man/example.c"
run ${CC:-cc} ${SAN_CFLAGS:-} -std=c99 -Wall -Werror -shared -fPIC -I"$top_srcdir/include" \
	-I"$top_builddir/include" "$T_TMP/man/example.c" -o "$T_TMP/man/man-example.so"
expect_rc 0 "the upgrade_context(3) example compiles"
printf '<module %s name="ctx.man">%s%s</module>\n' "$NS" "$create" '<task name="Slug" always-run="true">
  <only-if><not><has-column table="notes" column="slug"/></not></only-if>
  <native library="man-example.so" symbol="example_add_slug" arg="notes"/>
</task>' >"$T_TMP/man/c.xml"
run env UPGRADE_LIBRARY_PATH="$LIBDIR" "$UPGRADE" -T "$T_TMP/man" -d "$T_TMP/man.db" run
expect_rc 0 "the example runs from beside its catalog"
expect_out '^\* ctx\.man:Slug$' "it adds the column"
run env UPGRADE_LIBRARY_PATH="$LIBDIR" "$UPGRADE" -T "$T_TMP/man" -d "$T_TMP/man.db" run
expect_rc 0 "and again"
expect_out '^no pending upgrade tasks found$' "then finds nothing to do"

finish
