#!/usr/bin/env bash
# /usr/share/doc/riplet/copyright in Debian's machine-readable format (DEP-5): riplet itself (MIT) and
# one paragraph per bundled module under /usr/lib/riplet/node_modules, with its licence from its own
# package.json and its copyright line from its own licence file.
#   bash packaging/copyright.sh NODE_MODULES_DIR > copyright
set -euo pipefail
modules=${1:?usage: copyright.sh NODE_MODULES_DIR}

cat <<'HEAD'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: riplet
Comment: Built from the riplet repository by npm run package:deb. The node_modules paragraphs are
 generated from each bundled module's package.json and licence file.

Files: *
Copyright: riplet contributors
License: MIT
HEAD

declare -A used=([MIT]=1)
shopt -s nullglob
for manifest in "$modules"/[!@]*/package.json "$modules"/@*/*/package.json; do
	dir=${manifest%/package.json}
	read -r name license < <(node -e 'const p = require(process.argv[1]); console.log(p.name, p.license)' "$manifest")
	[[ -n $license && $license != undefined ]] || { echo "copyright.sh: $name declares no license" >&2; exit 1; }
	holder=$(cat "$dir"/[Ll][Ii][Cc][Ee][Nn][CcSs][Ee]* 2>/dev/null | grep -m1 -iE '^\s*copyright\s+(\(c\)|©|[0-9])' |
		sed -E 's/^\s*[Cc]opyright\s+(\([Cc]\)\s*|©\s*)?//' || true)
	printf '\nFiles: usr/lib/riplet/node_modules/%s/*\nCopyright: %s\nLicense: %s\n' \
		"$name" "${holder:-the $name authors}" "$license"
	used[$license]=1
done

for license in $(printf '%s\n' "${!used[@]}" | LC_ALL=C sort); do
	printf '\nLicense: %s\n' "$license"
	case $license in
	MIT)
		sed 's/^$/./; s/^/ /' <<'TEXT'
Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense,
and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so,
subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial
portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN
NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY,
WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE
SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
TEXT
		;;
	ISC)
		sed 's/^$/./; s/^/ /' <<'TEXT'
Permission to use, copy, modify, and/or distribute this software for any purpose with or without fee
is hereby granted, provided that the above copyright notice and this permission notice appear in all
copies.

THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES WITH REGARD TO THIS SOFTWARE
INCLUDING ALL IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE
FOR ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES WHATSOEVER RESULTING FROM
LOSS OF USE, DATA OR PROFITS, WHETHER IN AN ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION,
ARISING OUT OF OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
TEXT
		;;
	Apache-2.0)
		printf ' On Debian systems, the complete text of the Apache License, Version 2.0 can be\n found in /usr/share/common-licenses/Apache-2.0.\n'
		;;
	*)
		echo "copyright.sh: no licence text for $license: add it here" >&2
		exit 1
		;;
	esac
done
