#!/usr/bin/env bash
# Installs the nn-toolkit tools the Unix way:
#   PREFIX/bin/nn-*                          the tools (release build)
#   PREFIX/share/nn-toolkit/                 the embedded data set and the shipped models they default to
#   PREFIX/share/man/man1/nn-*.1             man pages (swift-argument-parser's generate-manual plugin)
#   PREFIX/share/bash-completion/completions/, PREFIX/share/zsh/site-functions/, PREFIX/share/fish/vendor_completions.d/
# The installed tools need nothing from the checkout: it can be moved or deleted afterwards.
#
#   bash install.sh                  # PREFIX=$HOME/.local
#   bash install.sh --prefix /usr/local
set -euo pipefail
cd "$(dirname "$0")"

prefix="$HOME/.local"
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument '$1' (use --prefix DIR)" >&2; exit 2 ;;
    esac
done
case "$prefix" in /*) ;; *) prefix="$PWD/$prefix" ;; esac

tools=(nn-train nn-eval nn-predict nn-gradcheck)
[ -d Sources/nn-model ] && tools+=(nn-model)

echo "install.sh: building the release tools" >&2
swift build -c release 2>&1 | tail -1 >&2
bin=$(swift build -c release --show-bin-path)

share="$prefix/share/nn-toolkit"
mkdir -p "$prefix/bin" "$share/datasets/default" "$share/models" "$prefix/share/man/man1" \
    "$prefix/share/bash-completion/completions" "$prefix/share/zsh/site-functions" "$prefix/share/fish/vendor_completions.d"
for t in "${tools[@]}"; do install -m 755 "$bin/$t" "$prefix/bin/$t"; done
install -m 644 datasets/default/*.gz "$share/datasets/default/"
install -m 644 models/*.nnm "$share/models/"

echo "install.sh: man pages" >&2
# The plugin writes one page per executable into .build/plugins/GenerateManual/outputs/TOOL/TOOL.1.
swift package generate-manual >/dev/null 2>&1 || echo "install.sh: warning: generate-manual failed; no man pages" >&2
for t in "${tools[@]}"; do
    page=.build/plugins/GenerateManual/outputs/$t/$t.1
    [ -f "$page" ] && install -m 644 "$page" "$prefix/share/man/man1/$t.1"
done

echo "install.sh: shell completions" >&2
for t in "${tools[@]}"; do
    "$prefix/bin/$t" --generate-completion-script bash > "$prefix/share/bash-completion/completions/$t"
    "$prefix/bin/$t" --generate-completion-script zsh > "$prefix/share/zsh/site-functions/_$t"
    "$prefix/bin/$t" --generate-completion-script fish > "$prefix/share/fish/vendor_completions.d/$t.fish"
done

echo "install.sh: installed ${tools[*]} into $prefix/bin (data and models in $share)" >&2
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "install.sh: add $prefix/bin to your PATH" >&2 ;; esac
