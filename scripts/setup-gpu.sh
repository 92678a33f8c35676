#!/usr/bin/env bash
# Install a Vulkan driver that wgpu can use on a machine without a GPU: Mesa lavapipe
# (`llvmpipe`, DeviceType::Cpu). Idempotent: does nothing when the ICD is already present.
#
# Usage: scripts/setup-gpu.sh            (needs root, or passwordless sudo, when packages are missing)
# Env:   OPENLEDGER_SKIP_GPU_SETUP=1     do nothing (e.g. a machine with a real GPU driver)
set -euo pipefail

if [[ "${OPENLEDGER_SKIP_GPU_SETUP:-0}" == "1" ]]; then
  echo "setup-gpu: skipped (OPENLEDGER_SKIP_GPU_SETUP=1)"
  exit 0
fi

PKGS=(mesa-vulkan-drivers libvulkan1 vulkan-tools)
ICD_GLOB=(/usr/share/vulkan/icd.d/lvp_icd.*.json)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)) && [[ -e "${ICD_GLOB[0]}" ]]; then
  echo "setup-gpu: lavapipe already installed (${ICD_GLOB[0]})"
else
  SUDO=""
  if [[ "$(id -u)" != "0" ]]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
      echo "setup-gpu: need root to install ${missing[*]}" >&2; exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Only refresh the package index when a package is not installable from the current one.
  need_update=0
  for p in "${missing[@]}"; do
    if ! apt-cache show "$p" >/dev/null 2>&1; then need_update=1; fi
  done
  if ((need_update)); then
    echo "setup-gpu: apt-get update"
    $SUDO apt-get update -qq
  fi
  echo "setup-gpu: installing ${missing[*]}"
  if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    echo "setup-gpu: install failed; refreshing the package index and retrying"
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

ICD_GLOB=(/usr/share/vulkan/icd.d/lvp_icd.*.json)
if [[ ! -e "${ICD_GLOB[0]}" ]]; then
  echo "setup-gpu: lavapipe ICD not found under /usr/share/vulkan/icd.d" >&2
  exit 1
fi

if command -v vulkaninfo >/dev/null 2>&1; then
  export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
  dev=$(vulkaninfo --summary 2>/dev/null | grep -m1 -E "deviceName" | sed 's/.*= *//' || true)
  echo "setup-gpu: vulkan device: ${dev:-unknown}"
fi
