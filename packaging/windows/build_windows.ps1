# Build CourseGen Desktop for Windows: venv, PyInstaller bundle, self-test, Inno Setup installer.
# Needs Python 3.11+ and Inno Setup 6 (iscc on PATH). Run from the repository root:
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build_windows.ps1
$ErrorActionPreference = "Stop"
py -3 -m venv .venv
.venv\Scripts\python -m pip install -U pip
.venv\Scripts\python -m pip install -e . "pyinstaller>=6.10"
.venv\Scripts\python -m PyInstaller --noconfirm --clean --distpath dist --workpath build\pyinstaller packaging\coursegen.spec
$env:QT_QPA_PLATFORM = "offscreen"
& dist\coursegen-desktop\coursegen-desktop.exe --self-test
if ($LASTEXITCODE -ne 0) { throw "The bundle's self-test failed." }
Remove-Item Env:\QT_QPA_PLATFORM
$version = .venv\Scripts\python -c "import coursegen_desktop as c; print(c.__version__)"
iscc packaging\windows\coursegen.iss "/DAppVersion=$version"
