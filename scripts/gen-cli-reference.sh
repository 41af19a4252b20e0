#!/usr/bin/env bash
# Rewrites docs/cli-commands.md from the built CLI (`omnigraph reference`). The test
# CliReference.DocsMatchTheBinary fails when the checked-in file differs from the binary's output.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/asan/src/cli/omnigraph}
"$bin" reference >docs/cli-commands.md
echo "wrote docs/cli-commands.md"
