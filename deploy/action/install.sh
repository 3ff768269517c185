#!/usr/bin/env bash
# Installs hamsasim for the GitHub Action (action.yml at the repository root).
#
# INPUT_VERSION empty: build from the action's own checkout (ACTION_PATH)
# with `make install`, version stamped: git describe when ACTION_PATH is a
# git checkout (uses: ./), otherwise the ref the workflow named in
# `uses: hamsasim/hamsasim@REF` (ACTION_REF), which is all the runner keeps
# of a downloaded action. Needs Go (action.yml sets it up) and make.
#
# INPUT_VERSION a release tag (v1.2.0): download that release's archive for
# this runner's OS and architecture and its SHA256SUMS from RELEASE_URL,
# check the archive against it, unpack.
#
# The binary goes to INSTALL_DIR (default $RUNNER_TEMP/hamsasim/bin), which is
# added to $GITHUB_PATH; its path is the step's output `bin`.
# Exit codes: 0 installed, 1 the build or download failed, 2 bad input.
set -euo pipefail

fail() { echo "hamsasim action: $2" >&2; exit "$1"; }

version=${INPUT_VERSION:-}
release_url=${RELEASE_URL:-https://github.com/hamsasim/hamsasim/releases/download}
dir=${INSTALL_DIR:-${RUNNER_TEMP:-/tmp}/hamsasim/bin}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

os=$(uname -s)
case "${RUNNER_OS:-$os}" in
  Linux) os=linux ;;
  macOS | Darwin) os=darwin ;;
  Windows | MINGW* | MSYS* | CYGWIN*) os=windows ;;
  *) fail 1 "no hamsasim build for the OS ${RUNNER_OS:-$os}" ;;
esac
arch=$(uname -m)
case "${RUNNER_ARCH:-$arch}" in
  X64 | x86_64 | amd64) arch=amd64 ;;
  ARM64 | aarch64 | arm64) arch=arm64 ;;
  *) fail 1 "no hamsasim build for the architecture ${RUNNER_ARCH:-$arch} (there are amd64 and arm64)" ;;
esac
exe=hamsasim
if [ "$os" = windows ]; then exe=hamsasim.exe; fi

sha256_check() {
  if command -v sha256sum >/dev/null; then sha256sum -c -; else shasum -a 256 -c -; fi
}

if [ -z "$version" ]; then
  src=${ACTION_PATH:?names the checkout of the action}
  command -v make >/dev/null || fail 1 "building from source needs make on PATH; or set the input version to a release tag"
  if [ -e "$src/.git" ]; then
    # A git checkout: the Makefile stamps git describe's version.
    GOBIN="$dir" make -C "$src" install
  else
    # A downloaded action has no .git: stamp the ref it was used at.
    ref=${ACTION_REF:-}
    commit=
    if [ ${#ref} -eq 40 ] && [ -z "${ref//[0-9a-f]/}" ]; then commit=$ref; ref=${ref:0:7}; fi
    GOBIN="$dir" make -C "$src" install VERSION="$ref" COMMIT="$commit"
  fi
else
  case "$version" in
    v[0-9]*) ;;
    *) fail 2 "version: \"$version\" is not a release tag such as v1.2.0 (leave it empty to build the action's own checkout)" ;;
  esac
  case "$version" in
    *[!A-Za-z0-9._+-]*) fail 2 "version: \"$version\" is not a release tag such as v1.2.0" ;;
  esac
  name=hamsasim_${version}_${os}_${arch}
  archive=$name.tar.gz
  if [ "$os" = windows ]; then archive=$name.zip; fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "download $release_url/$version/$archive"
  curl -fsSL --retry 3 -o "$tmp/$archive" "$release_url/$version/$archive" ||
    fail 1 "could not download $archive of release $version"
  curl -fsSL --retry 3 -o "$tmp/SHA256SUMS" "$release_url/$version/SHA256SUMS" ||
    fail 1 "could not download SHA256SUMS of release $version"
  line=$(grep " $archive\$" "$tmp/SHA256SUMS" || true)
  [ -n "$line" ] || fail 1 "SHA256SUMS of release $version has no line for $archive"
  (cd "$tmp" && printf '%s\n' "$line" | sha256_check >/dev/null) ||
    fail 1 "$archive does not match its SHA256SUMS line: not installed"
  if [ "$os" = windows ]; then
    (cd "$tmp" && unzip -q "$archive")
  else
    tar -C "$tmp" -xzf "$tmp/$archive"
  fi
  mv "$tmp/$name/$exe" "$dir/$exe"
  chmod +x "$dir/$exe"
fi

bin=$dir/$exe
"$bin" version
if [ -n "${GITHUB_PATH:-}" ]; then echo "$dir" >>"$GITHUB_PATH"; fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "bin=$bin" >>"$GITHUB_OUTPUT"; fi
