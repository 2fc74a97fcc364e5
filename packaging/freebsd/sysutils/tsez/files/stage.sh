#!/bin/sh
# The port's do-install: lays the `npm pack` tree SRC out under DEST (${STAGEDIR}${PREFIX}), with the wrapper
# WRAPPER (files/tsez.in, substituted) as bin/tsez and FILES (the port's files/) for the sample config.
# test/ship/port.test.ts runs this same script on Linux and checks the result against pkg-plist.
set -eu
src=$1
dest=$2
wrapper=$3
files=$4
: "${INSTALL_DATA:=install -m 0444}"
: "${INSTALL_SCRIPT:=install -m 0555}"

# Installs every file under SRC/TREE into DIR/TREE, keeping executables executable.
install_tree() {
	(cd "$src" && find "$2" -type d) | while read -r d; do mkdir -p "$1/$d"; done
	(cd "$src" && find "$2" -type f) | while read -r f; do
		if [ -x "$src/$f" ]; then $INSTALL_SCRIPT "$src/$f" "$1/$f"; else $INSTALL_DATA "$src/$f" "$1/$f"; fi
	done
}

lib="$dest/libexec/tsez"
mkdir -p "$dest/bin" "$lib/bin" "$dest/etc/rc.d" "$dest/share/tsez" "$dest/share/man/man5" "$dest/share/man/man8" \
	"$dest/share/bash-completion/completions" "$dest/share/zsh/site-functions" "$dest/share/fish/vendor_completions.d"

# The release bundle: no node_modules, no sources; run.js finds the flavours beside itself (packageRoot/flavours).
$INSTALL_DATA "$src/package.json" "$src/oclif.manifest.json" "$lib/"
$INSTALL_SCRIPT "$src/bin/run.js" "$lib/bin/run.js"
install_tree "$lib" dist
install_tree "$dest/share/tsez" flavours
ln -sf ../../share/tsez/flavours "$lib/flavours"

$INSTALL_SCRIPT "$wrapper" "$dest/bin/tsez"
$INSTALL_SCRIPT "$src/rc.d/tsez" "$dest/etc/rc.d/tsez"
$INSTALL_DATA "$src/man/tsez.8" "$dest/share/man/man8/tsez.8"
$INSTALL_DATA "$src/man/tsez.conf.5" "$dest/share/man/man5/tsez.conf.5"
$INSTALL_DATA "$files/tsez.conf.sample" "$dest/etc/tsez.conf.sample"
$INSTALL_DATA "$src/completion/tsez.bash" "$dest/share/bash-completion/completions/tsez"
$INSTALL_DATA "$src/completion/_tsez" "$dest/share/zsh/site-functions/_tsez"
$INSTALL_DATA "$src/completion/tsez.fish" "$dest/share/fish/vendor_completions.d/tsez.fish"
