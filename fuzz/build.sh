#!/bin/sh
# build.sh: builds the libFuzzer targets (model, idx, png, onnx, npz) into fuzz/.build/ with swiftc directly,
# not SwiftPM: every module of the code under test (NNCore, NNFormats, NNImage) and the C kernels are
# compiled with coverage instrumentation and AddressSanitizer, the fuzz entry points link libFuzzer.
#
#   fuzz/build.sh            -> fuzz/.build/fuzz-model, fuzz-idx, fuzz-png, fuzz-onnx, fuzz-npz, fuzz-args (about 6 minutes from clean)
#   fuzz/build.sh idx        -> only fuzz-idx (modules are rebuilt only when their sources changed)
#
# libFuzzer and the ASan runtime come with the Swift toolchain (lib/swift/clang/lib/linux/
# libclang_rt.fuzzer-x86_64.a); only zlib1g-dev and libpng-dev are needed from Debian.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/fuzz/.build
mkdir -p "$OUT"

for pkg in zlib1g-dev libpng-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || { echo "build.sh: installing $pkg" >&2; apt-get install -y "$pkg" >&2; }
done

SAN="-sanitize=fuzzer,address"
# -O: the figures are for optimised code, as the tools ship; -g for readable sanitizer reports.
SWIFTC="swiftc -use-ld=lld -O -g -swift-version 5 -parse-as-library $SAN -I $OUT"
CMODS="-Xcc -fmodule-map-file=$ROOT/Sources/CZlib/module.modulemap -I $ROOT/Sources/CZlib
       -Xcc -fmodule-map-file=$ROOT/Sources/CPNG/module.modulemap -I $ROOT/Sources/CPNG
       -Xcc -fmodule-map-file=$OUT/CKernels.modulemap -I $ROOT/Sources/CKernels/include
       -Xcc -fmodule-map-file=$OUT/CPNGReader.modulemap -I $ROOT/Sources/CPNGReader/include"

# The C targets have no module maps of their own (SwiftPM writes them); these are the same.
cat > "$OUT/CKernels.modulemap" <<MAP
module CKernels {
    header "$ROOT/Sources/CKernels/include/nn_kernels.h"
    export *
}
MAP
cat > "$OUT/CPNGReader.modulemap" <<MAP
module CPNGReader {
    header "$ROOT/Sources/CPNGReader/include/nn_png.h"
    export *
}
MAP
# The C sources are instrumented too: the PNG target gets coverage feedback from our libpng driver.
for c in CKernels/gemm CKernels/pool CPNGReader/png_reader; do
    o="$OUT/$(basename $c).o"
    [ "$o" -nt "Sources/$c.c" ] ||
        clang -O1 -g -fsanitize=fuzzer-no-link,address -I "Sources/$(dirname $c)/include" $(pkg-config --cflags libpng16) \
            -c "Sources/$c.c" -o "$o"
done

# One object and one .swiftmodule per library module, in dependency order; rebuilt when a source (or
# the module it depends on) is newer than the object.
module() {  # name, "dependencies", sources...
    name=$1 deps=$2; shift 2
    inputs="$*"
    for d in $deps; do inputs="$inputs $OUT/$d.o"; done
    # shellcheck disable=SC2086
    if [ -f "$OUT/$name.o" ] && [ -z "$(find $inputs -newer "$OUT/$name.o")" ]; then return; fi
    echo "build.sh: $name" >&2
    $SWIFTC $CMODS -package-name nn_toolkit -module-name "$name" -wmo -c -emit-module -emit-module-path "$OUT/$name.swiftmodule" \
        -o "$OUT/$name.o" "$@"
}
# NNCore has a folder per part (Layers/, Network/, ...)
# shellcheck disable=SC2046
module NNCore "gemm pool" $(find Sources/NNCore -name "*.swift" | sort)
module NNFormats "NNCore" Sources/NNFormats/*.swift
module NNInterchange "NNFormats" Sources/NNInterchange/*.swift Sources/NNInterchange/ONNX/*.swift
module NNImage "NNCore png_reader" Sources/NNImage/*.swift

LIBS="$OUT/NNCore.o $OUT/NNFormats.o $OUT/NNInterchange.o $OUT/NNImage.o $OUT/gemm.o $OUT/pool.o $OUT/png_reader.o"
case " ${*:-model idx png onnx npz args} " in *" args "*)
    # The argument parser target needs swift-argument-parser (SwiftPM's checkout), NNCommandLine,
    # NNReport and the four tools, each tool a module of its sources without main.swift (-enable-testing:
    # the command types are internal).
    AP=$ROOT/.build/checkouts/swift-argument-parser/Sources
    [ -d "$AP" ] || swift package resolve >&2
    module ArgumentParserToolInfo "" "$AP"/ArgumentParserToolInfo/*.swift
    # its folders have spaces in their names: the sources are copied flat (their names are unique)
    mkdir -p "$OUT/argument-parser-src"
    find "$AP/ArgumentParser" -name '*.swift' -exec cp -p {} "$OUT/argument-parser-src/" \;
    module ArgumentParser "ArgumentParserToolInfo" "$OUT"/argument-parser-src/*.swift
    module NNCommandLine "ArgumentParser NNFormats" Sources/NNCommandLine/*.swift
    module NNReport "NNCore NNImage" Sources/NNReport/*.swift
    for tool in nn-train nn-eval nn-predict nn-gradcheck; do
        # shellcheck disable=SC2046
        SWIFTC="$SWIFTC -enable-testing" module "$(echo $tool | tr - _)" "NNCommandLine NNReport" $(ls Sources/$tool/*.swift | grep -v /main.swift)
    done
    LIBS="$LIBS $OUT/ArgumentParserToolInfo.o $OUT/ArgumentParser.o $OUT/NNCommandLine.o $OUT/NNReport.o"
    LIBS="$LIBS $OUT/nn_train.o $OUT/nn_eval.o $OUT/nn_predict.o $OUT/nn_gradcheck.o";;
esac

for t in ${*:-model idx png onnx npz args}; do
    case $t in model) src=FuzzModel;; idx) src=FuzzIDX;; png) src=FuzzPNG;; onnx) src=FuzzONNX;; npz) src=FuzzNPZ;; args) src=FuzzArguments;;
        *) echo "build.sh: unknown target $t (model, idx, png, onnx, npz, args)" >&2; exit 2;; esac
    echo "build.sh: fuzz-$t" >&2
    # shellcheck disable=SC2086
    $SWIFTC $CMODS -module-name "Fuzz_$t" "fuzz/targets/$src.swift" $LIBS -lz -lpng16 -o "$OUT/fuzz-$t"
done
ls -l "$OUT"/fuzz-*
