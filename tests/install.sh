#!/bin/sh
# SPDX-License-Identifier: MIT
# install.sh - `make install DESTDIR=...` lays out what a packager expects
# (command, versioned library, headers, pkg-config file, man pages, catalog
# schema, empty drop-in task directory), the installed pieces work together,
# and `make uninstall` takes every file away again.
#
# Runs from the build tree ($top_builddir), so it also works in
# `make distcheck`, where only the build tree is writable.
. "$top_srcdir/tests/lib.sh"

MAKE=${MAKE:-make}
D="$T_TMP/dest"

# The parent make's flags (jobserver, TESTS=..., -k) are not meant for the
# nested makes, which would only warn about the jobserver they cannot use.
submake() {
	env -u MAKEFLAGS -u MFLAGS "$MAKE" -s --no-print-directory -C "$top_builddir" "$@"
}

# The installation directories exactly as the Makefile expands them, so the
# test follows --prefix, --libdir, --with-taskdir, ... of this build.
cat >"$T_TMP/dirs.mk" <<'EOF'
print-install-dirs:
	@printf '%s\n' 'prefix=$(prefix)' 'bindir=$(bindir)' 'libdir=$(libdir)' \
	  'includedir=$(includedir)' 'mandir=$(mandir)' 'pkgdatadir=$(pkgdatadir)' \
	  'taskdir=$(taskdir)' 'version=$(PACKAGE_VERSION)' 'docdir=$(docdir)' \
	  'bashcompletiondir=$(bashcompletiondir)' 'zshcompletiondir=$(zshcompletiondir)'
EOF
run submake -f Makefile -f "$T_TMP/dirs.mk" print-install-dirs
if [ "$rc" -ne 0 ]; then
	not_ok "read the installation directories from the Makefile" "$out" "$err"
	finish
fi
makevar() { printf '%s\n' "$out" | sed -n "s|^$1=||p"; }
prefix=$(makevar prefix) bindir=$(makevar bindir) libdir=$(makevar libdir)
includedir=$(makevar includedir) mandir=$(makevar mandir) pkgdatadir=$(makevar pkgdatadir)
taskdir=$(makevar taskdir) version=$(makevar version) docdir=$(makevar docdir)
bashcompletiondir=$(makevar bashcompletiondir) zshcompletiondir=$(makevar zshcompletiondir)

# Every file (not directory) below DIR, one per line, relative to $D.
files_below() { (cd "$D" && find ".$1" ! -type d 2>/dev/null | sed 's|^\.||' | sort); }

## --- install ------------------------------------------------------------

run submake install DESTDIR="$D"
expect_rc 0 "make install DESTDIR=..."

# exists TEST PATH [DESCRIPTION]: test(1) TEST on $D/PATH; the description
# defaults to PATH relative to the prefix (bin/upgrade, share/man/...).
exists() {
	what=${3:-${2#"$prefix"/}}
	if test "$1" "$D$2"; then ok "$what"; else
		# shellcheck disable=SC2046 # one line per file of that directory
		not_ok "$what: $D$2 missing; ${2%/*} has:" $(files_below "${2%/*}"); fi
}

lib=${libdir#"$prefix"/}
exists -x "$bindir/upgrade" "${bindir#"$prefix"/}/upgrade is installed and executable"

# The library: real file, soname link for the loader, .so link for -lupgrade.
exists -L "$libdir/libupgrade.so.0" "$lib/libupgrade.so.0 (the soname) is a symlink"
real=$(cd "$D$libdir" 2>/dev/null && ls libupgrade.so.0.* 2>/dev/null | head -n 1)
if [ -n "$real" ] && [ -f "$D$libdir/$real" ] && [ ! -L "$D$libdir/$real" ]; then
	ok "$lib/$real is the real library"
else
	not_ok "$lib/libupgrade.so.0.* (the real library) missing"
fi
exists -L "$libdir/libupgrade.so" "$lib/libupgrade.so (the link for -lupgrade) is a symlink"
if command -v readelf >/dev/null 2>&1 && [ -n "$real" ]; then
	soname=$(readelf -d "$D$libdir/$real" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	if [ "$soname" = libupgrade.so.0 ]; then ok "the library's SONAME is libupgrade.so.0"; else
		not_ok "the library's SONAME is '$soname', want libupgrade.so.0" \
			"a new soname means a new Debian package name (debian/control)"; fi
fi
exists -f "$libdir/pkgconfig/libupgrade.pc"

# Every public header of the sources, plus the generated version.h.
exists -f "$includedir/upgrade.h"
for h in "$top_srcdir"/include/upgrade/*.h version.h; do
	exists -f "$includedir/upgrade/${h##*/}"
done

# Every page of man/ in the section its file name says; upgrade(1) for sure.
exists -f "$mandir/man1/upgrade.1"
for page in "$top_srcdir"/man/*.[1-9]; do
	p=${page##*/}
	[ "$p" = upgrade.1 ] || exists -f "$mandir/man${p##*.}/$p"
done

# Every function named in a section 3 page's NAME has a page of its own
# name, a link to the page that documents it.
for page in "$top_srcdir"/man/*.3; do
	for name in $(sed -n 's/^\.Nm \([a-z_0-9]*\).*/\1/p' "$page" | sort -u); do
		[ "$name.3" = "${page##*/}" ] && continue
		if [ -L "$D$mandir/man3/$name.3" ] && [ "$(readlink "$D$mandir/man3/$name.3")" = "${page##*/}" ]; then
			nlinks=$((${nlinks:-0} + 1))
		else
			not_ok "man3/$name.3 links to ${page##*/}"
		fi
	done
done
[ "${nlinks:-0}" -gt 100 ] && ok "$nlinks man3 links, one per documented function" ||
	not_ok "man3 links: only ${nlinks:-0}"
[ -L "$D$mandir/man3/upgrade_free.3" ] && ok "man 3 upgrade_free finds a page" || not_ok "no page for upgrade_free"

# The catalog schema, which the command and catalog authors validate against.
if [ -f "$top_srcdir/tasks/catalog.rng" ]; then
	exists -f "$pkgdatadir/catalog.rng" "${pkgdatadir#"$prefix"/}/catalog.rng (the catalog schema)"
fi

# The README and the example catalogs, as documentation; the installed
# examples are checked as a catalog set below.
exists -f "$docdir/README.md" "${docdir#"$prefix"/}/README.md"
for x in "$top_srcdir"/tasks/examples/*.xml; do
	exists -f "$docdir/examples/${x##*/}" "${docdir#"$prefix"/}/examples/${x##*/}"
done

# The bash completion, where bash-completion loads it for the command upgrade.
exists -f "$bashcompletiondir/upgrade" "the bash completion in ${bashcompletiondir#"$prefix"/}/"
exists -f "$zshcompletiondir/_upgrade" "the zsh completion in ${zshcompletiondir#"$prefix"/}/"

# The drop-in directory exists and is empty: what is in it runs everywhere.
exists -d "$taskdir" "the drop-in task directory ${taskdir#"$prefix"/}/"
left=$(files_below "$taskdir")
if [ -z "$left" ]; then ok "the drop-in task directory is installed empty"; else
	not_ok "the drop-in task directory is installed empty" "$left"; fi

## --- the installed pieces work together -----------------------------------

run env LD_LIBRARY_PATH="$D$libdir" "$D$bindir/upgrade" --version
expect_rc 0 "the installed upgrade runs"
expect_out "^upgrade $version \\(libupgrade $version\\)\$" "the installed upgrade reports version $version"

run env LD_LIBRARY_PATH="$D$libdir" "$D$bindir/upgrade" validate -T "$D$docdir/examples"
expect_rc 0 "the installed example catalogs are valid"

# The .pc file parses and points where the files are.  pkg-config may or may
# not relocate the prefix to where it found the file (--define-prefix is the
# default on some systems), so a variable may carry $D in front.
pc_env="PKG_CONFIG_PATH=$D$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
if command -v pkg-config >/dev/null 2>&1; then
	run env -u PKG_CONFIG_SYSROOT_DIR "$pc_env" pkg-config --modversion libupgrade
	expect_rc 0 "pkg-config reads the installed libupgrade.pc"
	expect_out "^$version\$" "pkg-config --modversion is $version"
	run env -u PKG_CONFIG_SYSROOT_DIR "$pc_env" pkg-config --libs libupgrade
	expect_out '(^| )-lupgrade( |$)' "pkg-config --libs names -lupgrade"
	# The headers need nothing of libxml2, json-c, ODBC or nettle: their flags stay out.
	run env -u PKG_CONFIG_SYSROOT_DIR "$pc_env" pkg-config --cflags --libs libupgrade
	expect_no 'libxml2' "pkg-config gives no flags of the library's own dependencies"
	for var in libdir includedir taskdir; do
		eval "want=\$$var"
		run env -u PKG_CONFIG_SYSROOT_DIR "$pc_env" pkg-config --variable="$var" libupgrade
		if [ "$out" = "$want" ] || [ "$out" = "$D$want" ]; then ok "libupgrade.pc: $var is $want"; else
			not_ok "libupgrade.pc: $var is '$out', want $want" "$err"; fi
	done
else
	not_ok "pkg-config is needed to check libupgrade.pc (Debian package pkg-config)"
fi

# A program built only from the installed headers and library (as a user of
# libupgrade-dev would) compiles, links and runs.
cat >"$T_TMP/user.c" <<'EOF'
#include <stdio.h>
#include <upgrade.h>
int main(void) {
	printf("%s\n", upgrade_version());
	return upgrade_version_number() == UPGRADE_VERSION_NUMBER ? 0 : 1;
}
EOF
run ${CC:-cc} ${SAN_CFLAGS:-} -std=c99 -Wall -Werror -I"$D$includedir" "$T_TMP/user.c" \
	-o "$T_TMP/user" -L"$D$libdir" -lupgrade
expect_rc 0 "a program compiles and links against the installed headers and library"
run env LD_LIBRARY_PATH="$D$libdir" "$T_TMP/user"
expect_rc 0 "it runs with the installed library, whose version matches the headers"
expect_out "^$version\$" "it prints version $version"

## --- uninstall ------------------------------------------------------------

run submake uninstall DESTDIR="$D"
expect_rc 0 "make uninstall DESTDIR=..."
left=$(files_below "")
if [ -z "$left" ]; then ok "make uninstall leaves no file behind"; else
	# shellcheck disable=SC2086 # one argument per leftover file
	not_ok "make uninstall leaves no file behind; left over:" $left; fi

finish
