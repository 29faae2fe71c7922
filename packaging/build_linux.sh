#!/usr/bin/env bash
# Build the one-folder bundle, smoke-test it offscreen, and pack a tarball. Run via `make package`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
version=$($PY -c 'import coursegen_desktop as c; print(c.__version__)')
arch=$(uname -m)
start=$(date +%s)
$PY -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller packaging/coursegen.spec
built=$(date +%s)
bundle=dist/coursegen-desktop
echo "== self-test of the bundle (offscreen)"
QT_QPA_PLATFORM=offscreen LANG=C.UTF-8 COURSEGEN_DATA_DIR="$(mktemp -d)" "$bundle/coursegen-desktop" --self-test
cp packaging/install_linux.sh resources/coursegen-desktop.desktop "$bundle/"
tarball="dist/coursegen-desktop-$version-linux-$arch.tar.gz"
tar -C dist -czf "$tarball" coursegen-desktop
echo "== bundle: $(du -sh "$bundle" | cut -f1), tarball: $(du -h "$tarball" | cut -f1), build: $((built - start)) s"
echo "Install with: tar xzf $tarball && coursegen-desktop/install_linux.sh"
