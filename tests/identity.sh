#!/bin/sh
# SPDX-License-Identifier: MIT
# identity.sh - the project's contact is the same everywhere it is written:
# README's "Contact:" line, debian/control's Maintainer, the latest
# debian/changelog entry, debian/copyright's Upstream-Contact, and the
# bug-report address of AC_INIT that `upgrade --version` prints; and the
# copyright holder of LICENSE, --version and debian/copyright.  Giving
# the project a real identity is then one edit per file, and this test
# finds the file that was forgotten.
. "$top_srcdir/tests/lib.sh"

# A release tarball carries no debian/ (distributions bring their own); the
# git tree, where the packaging is edited, always has it.
if [ -f "$top_srcdir/debian/control" ]; then has_debian=1; else has_debian=; fi

# The "Name <address>" of each place.
readme=$(sed -n 's/^Contact: //p' "$top_srcdir/README.md")
if [ -n "$has_debian" ]; then
	control=$(sed -n 's/^Maintainer: //p' "$top_srcdir/debian/control")
	changelog=$(sed -n 's/^ -- \(.*>\)  .*/\1/p' "$top_srcdir/debian/changelog" | head -n 1)
	copyright=$(sed -n 's/^Upstream-Contact: //p' "$top_srcdir/debian/copyright")
fi

case $readme in
*'<'*@*'>') ok "README has a Contact line ($readme)" ;;
*) not_ok "README lacks a 'Contact: NAME <ADDRESS>' line" "got: '$readme'" ;;
esac
for place in control changelog copyright; do
	[ -n "$has_debian" ] || break
	eval "v=\$$place"
	if [ "$v" = "$readme" ]; then ok "debian/$place names the same contact"; else
		not_ok "debian/$place names '$v', README '$readme'"; fi
done

# AC_INIT's bug-report address, as configure put it into config.h.
address=${readme#*<}
address=${address%>}
bugs=$(sed -n 's/^#define PACKAGE_BUGREPORT "\(.*\)"$/\1/p' "$top_builddir/config.h")
run "$UPGRADE" --version
expect_rc 0 "--version"
if [ -z "$bugs" ]; then
	expect_no 'Report bugs to' "--version names no bug address while AC_INIT has none"
elif [ "$bugs" = "$address" ]; then
	ok "AC_INIT's bug-report address is the contact's"
	expect_out "^Report bugs to: $address\$" "--version names it"
else
	not_ok "AC_INIT's bug-report address is '$bugs', README's contact '$address'"
fi

# The copyright holder: LICENSE, --version and debian/copyright.
lic=$(grep -m 1 '^Copyright (c) ' "$top_srcdir/LICENSE")
holder=${lic#Copyright (c) }
if printf '%s\n' "$out" | grep -qxF "$lic"; then ok "--version has LICENSE's copyright line"; else
	not_ok "--version lacks LICENSE's line '$lic'" "$out"; fi
if [ -z "$has_debian" ]; then
	ok "no debian/ in this tree (a release tarball): its identity was checked in the git tree"
elif grep -qx "Copyright: $holder" "$top_srcdir/debian/copyright"; then
	ok "debian/copyright names the same holder"
else
	not_ok "debian/copyright does not say 'Copyright: $holder'"
fi

finish
