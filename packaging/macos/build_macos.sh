#!/usr/bin/env bash
# Build "CourseGen Desktop.app" with the same spec (its BUNDLE step runs on macOS), self-test it,
# and wrap it in a .dmg. Needs Python 3.11+ from python.org or Homebrew; run from the repo root.
set -euo pipefail
python3 -m venv .venv
.venv/bin/python -m pip install -U pip
.venv/bin/python -m pip install -e . "pyinstaller>=6.10"
.venv/bin/python -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/coursegen.spec
QT_QPA_PLATFORM=offscreen "dist/CourseGen Desktop.app/Contents/MacOS/coursegen-desktop" --self-test
version=$(.venv/bin/python -c 'import coursegen_desktop as c; print(c.__version__)')
hdiutil create -volname "CourseGen Desktop" -srcfolder "dist/CourseGen Desktop.app" -ov -format UDZO "dist/CourseGenDesktop-$version.dmg"
# For distribution outside your own machines, sign and notarise:
#   codesign --deep --force --options runtime --sign "Developer ID Application: …" "dist/CourseGen Desktop.app"
#   xcrun notarytool submit "dist/CourseGenDesktop-$version.dmg" --keychain-profile … --wait
