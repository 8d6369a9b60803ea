#!/usr/bin/env bash
# npm run package:deb: builds build/riplet_VERSION_all.deb with dpkg-deb, laid out as Debian policy and
# dh_installsystemd would: riplet in /usr/lib/riplet (built JS + production node_modules), /usr/bin/riplet,
# the hooks in /usr/libexec/riplet (and /usr/bin/riplet-qemu-ifup, -ifdown), the systemd unit, a
# commented conffile, bash completion, riplet(8) from the help, logrotate, copyright, changelog, md5sums.
#   RIPLET_DEB_VERSION=0.1.1-1   another Debian version (riplet --version then says 0.1.1), for tests
#   RIPLET_DEB_OUT=DIR           where the .deb goes (default: build/ in the checkout)
# The .deb's path is the last line printed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
here=$root/packaging

die() {
	printf 'package:deb: %s\n' "$*" >&2
	exit 1
}
log() { printf 'package:deb: %s\n' "$*" >&2; }

for tool in dpkg-deb gzip node npm; do
	command -v "$tool" >/dev/null || die "$tool is missing: apt-get install -y dpkg-dev gzip nodejs"
done

upstream=$(node -p 'require("./package.json").version')
version=${RIPLET_DEB_VERSION:-$upstream-1}
# a non-native version, UPSTREAM-REVISION (Debian policy §5.6.12): the revision is what changelog.Debian counts
[[ $version =~ ^[0-9][A-Za-z0-9.+~]*-[A-Za-z0-9.+~]+$ ]] ||
	die "RIPLET_DEB_VERSION=$version is not a Debian version UPSTREAM-REVISION, e.g. $upstream-1"
app_version=${version%-*}
out=${RIPLET_DEB_OUT:-$root/build}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# reproducible: every date and mtime from the last commit (or SOURCE_DATE_EPOCH)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}

log "compiling TypeScript"
node node_modules/typescript/bin/tsc -p tsconfig.json
log "bundling the CLI into dist/cli"
node node_modules/rolldown/bin/cli.mjs -c rolldown.config.mjs >/dev/null

# Production dependencies, installed into a staging copy of package.json + package-lock.json (never the
# checkout's node_modules) and kept per lockfile. --omit=optional as well: the lockfile marks valibot's
# optional peer typescript (24 MB, never loaded at run time) "devOptional", which --omit=dev alone keeps.
deps=$out/deps/$(cat package.json package-lock.json | sha256sum | cut -c1-16)
if [[ ! -d $deps/node_modules ]]; then
	log "installing production dependencies into $deps"
	rm -rf "$deps.tmp"
	mkdir -p "$deps.tmp"
	cp package.json package-lock.json "$deps.tmp/"
	(cd "$deps.tmp" && npm ci --omit=dev --omit=optional --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >&2)
	rm -rf "$deps"
	mv "$deps.tmp" "$deps"
fi

stage=$out/stage/riplet_$version
rm -rf "$stage"
lib=$stage/usr/lib/riplet
doc=$stage/usr/share/doc/riplet
mkdir -p "$lib/bin" "$lib/dist" "$stage/usr/bin" "$stage/usr/libexec/riplet" "$stage/lib/systemd/system" \
	"$stage/etc/riplet" "$stage/etc/logrotate.d" "$stage/usr/share/bash-completion/completions" \
	"$stage/usr/share/man/man8" "$doc" "$stage/DEBIAN"

log "laying out $stage"
# The shim runs the node of the package's dependency, /usr/bin/node, by its path: not whichever node
# comes first on PATH (libvirt runs hooks with no PATH at all). Either form of the shim: a node shebang,
# or an sh prologue that execs node.
sed -e '1s|^#!/usr/bin/env -S node |#!/usr/bin/node |' -e 's|exec node |exec /usr/bin/node |' bin/riplet.js \
	>"$lib/bin/riplet.js"
grep -Eq '^#!/usr/bin/node|exec /usr/bin/node ' "$lib/bin/riplet.js" ||
	die "bin/riplet.js: neither a node shebang nor 'exec node': $(head -1 bin/riplet.js); teach packaging/build-deb.sh its form"
cp bin/package.json "$lib/bin/" # makes the shim CommonJS, as the chunks it runs (rolldown.config.mjs)
cp -r dist/src "$lib/dist/src"
cp -r dist/cli "$lib/dist/cli" # the bundled CLI bin/riplet.js runs; dist/src for the config child
find "$lib/dist" \( -name '*.map' -o -name '*.d.ts' -o -name '*.v8' \) -delete # no code cache: the postinst compiles it
node -e '
  const p = require("./package.json");
  const keep = { name: p.name, version: process.argv[1], description: p.description, type: p.type,
    license: p.license, engines: p.engines, dependencies: p.dependencies };
  process.stdout.write(JSON.stringify(keep, null, 2) + "\n");
' "$app_version" >"$lib/package.json"
cp -r "$deps/node_modules" "$lib/node_modules"
# What no module loads at run time: npm's bookkeeping, source maps, type declarations, CI, test and
# doc files, and licence files (their texts are in /usr/share/doc/riplet/copyright, Debian's place).
rm -rf "$lib/node_modules/.bin" "$lib/node_modules/.package-lock.json"
find "$lib/node_modules" \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.ts' \
	-o -name '.*' -o -name '*.md' -o -name '*.markdown' -o -name '*.html' -o -name '*.sh' -o -iname 'licen[cs]e*' \) \
	-prune -exec rm -rf {} +
find "$lib/node_modules" -mindepth 2 -maxdepth 3 -type d \( -name test -o -name tests -o -name benchmarks \
	-o -name bench -o -name docs -o -name example -o -name examples \) -prune -exec rm -rf {} +
find "$lib/node_modules" -type d -empty -delete
ln -s ../lib/riplet/bin/riplet.js "$stage/usr/bin/riplet"

cp hooks/qemu-ifup hooks/qemu-ifdown hooks/fast-hook.pl "$stage/usr/libexec/riplet/"
for hook in qemu-ifup qemu-ifdown; do
	# copies, not symlinks: AppArmor lets libvirtd run scripts under /usr/bin, judged by their real path
	cat >"$stage/usr/bin/riplet-$hook" <<EOF
#!/bin/sh
# riplet's QEMU/libvirt tap ${hook#qemu-} script (riplet(8)); the work is done by /usr/libexec/riplet/$hook.
exec /usr/libexec/riplet/$hook "\$@"
EOF
done

cp docs/riplet.service "$stage/lib/systemd/system/riplet.service"
cp "$here/debian/riplet.yaml" "$stage/etc/riplet/riplet.yaml"
cp "$here/debian/logrotate" "$stage/etc/logrotate.d/riplet"
mkdir -p "$stage/usr/share/lintian/overrides"
cp "$here/debian/lintian-overrides" "$stage/usr/share/lintian/overrides/riplet"

log "generating bash completion and riplet(8) from the command line"
node bin/riplet.js completion bash >"$stage/usr/share/bash-completion/completions/riplet"
date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
node "$here/manpage.mjs" bin/riplet.js "$app_version" "$date" >"$stage/usr/share/man/man8/riplet.8"
gzip -9n "$stage/usr/share/man/man8/riplet.8"
ln -s riplet.8.gz "$stage/usr/share/man/man8/riplet-qemu-ifup.8.gz"
ln -s riplet.8.gz "$stage/usr/share/man/man8/riplet-qemu-ifdown.8.gz"

bash "$here/copyright.sh" "$deps/node_modules" >"$doc/copyright"
maintainer=$(sed -n 's/^Maintainer: //p' "$here/debian/control")
{
	printf 'riplet (%s) unstable; urgency=medium\n\n' "$version"
	printf '  * Built from the riplet repository by npm run package:deb.\n\n'
	printf ' -- %s  %s\n' "$maintainer" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.Debian.gz"

# modes as dpkg-deb --root-owner-group will record them, whatever the checkout's umask
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -type f -exec chmod 0644 {} +
chmod 0755 "$lib/bin/riplet.js" "$stage"/usr/libexec/riplet/* "$stage"/usr/bin/riplet-qemu-if*
# the modules' own command-line scripts (pino's, yaml's) keep their meaning: a #! file is executable
find "$lib/node_modules" -type f -print0 | while IFS= read -r -d '' file; do
	if [[ $(head -c 2 "$file" | tr -d '\0') == '#!' ]]; then chmod 0755 "$file"; fi
done

for script in postinst prerm postrm; do install -m 0755 "$here/debian/$script" "$stage/DEBIAN/$script"; done
printf '/etc/riplet/riplet.yaml\n/etc/logrotate.d/riplet\n' >"$stage/DEBIAN/conffiles"
(cd "$stage" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
	xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" "$here/debian/control" >"$stage/DEBIAN/control"

find "$stage" -newermt "@$SOURCE_DATE_EPOCH" -print0 | xargs -0 touch -h -d "@$SOURCE_DATE_EPOCH"
deb=$out/riplet_${version}_all.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >&2
echo "$deb"
