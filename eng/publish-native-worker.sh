#!/usr/bin/env bash
# Publishes the worker with Native AOT into artifacts/native-worker/ (or the folder given as $1) and prints the
# executable's path on its last line. Point PluginSupervisorOptions.WorkerPath (or --set SochDbIsolated:WorkerPath=…)
# at it: workers then start in tens of milliseconds. Needs the .NET SDK, a C toolchain (clang or gcc) for the native
# link, and the ILCompiler packages from the NuGet feed (restored on first use). Linux x64 and arm64.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/artifacts/native-worker}"

case "$(uname -m)" in
  x86_64) rid=linux-x64 ;;
  aarch64 | arm64) rid=linux-arm64 ;;
  *) echo "publish-native-worker: no Native AOT worker for $(uname -m)" >&2; exit 2 ;;
esac

if ! command -v clang >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
  echo "publish-native-worker: Native AOT links with clang or gcc; neither is installed" >&2
  exit 2
fi

# Its own artifacts folder per output folder, so this publish (another runtime identifier, another restore) never
# touches the obj/ folders of an ordinary build, nor those of another publish running at the same time (the tests and
# the benchmark publish to different folders). No build servers: nothing outlives the script holding its output open.
dotnet publish "$root/src/Worker/SochDb.Isolated.Worker.csproj" -c Release -r "$rid" -p:PublishAot=true \
  --artifacts-path "$root/artifacts/native-build/$(basename "$out")" -o "$out" --disable-build-servers -nologo -v quiet >&2
echo "$out/SochDb.Isolated.Worker"
