; Inno Setup script for CourseGen Desktop (Windows). Build the PyInstaller bundle first with
; build_windows.ps1, which then runs: iscc packaging\windows\coursegen.iss /DAppVersion=X.Y.Z
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6B0C4B2E-2A57-4C55-9D0E-8E0B2C7C1E01}
AppName=CourseGen Desktop
AppVersion={#AppVersion}
AppPublisher=CourseGen
DefaultDirName={localappdata}\Programs\CourseGen Desktop
DefaultGroupName=CourseGen Desktop
PrivilegesRequired=lowest
OutputDir=..\..\dist
OutputBaseFilename=CourseGenDesktop-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
SetupIconFile=..\..\resources\icons\coursegen.ico
UninstallDisplayIcon={app}\coursegen-desktop.exe

[Files]
Source: "..\..\dist\coursegen-desktop\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\CourseGen Desktop"; Filename: "{app}\coursegen-desktop.exe"
Name: "{userdesktop}\CourseGen Desktop"; Filename: "{app}\coursegen-desktop.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Run]
Filename: "{app}\coursegen-desktop.exe"; Description: "Start CourseGen Desktop"; Flags: nowait postinstall skipifsilent
