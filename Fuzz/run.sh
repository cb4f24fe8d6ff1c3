#!/usr/bin/env bash
# Fuzzes the file loaders with libFuzzer and AddressSanitizer: one target per format (.npy,
# safetensors, CSV, IDX), each run for SECONDS seconds from the seed corpus in Fuzz/corpus/FORMAT.
#
#   bash Fuzz/run.sh [SECONDS] [FORMAT ...]      (default: 60 seconds, every format)
#
# The library is built with -sanitize=fuzzer,address in .build-fuzz; inputs the fuzzer finds
# interesting go to .build-fuzz/corpus/FORMAT, crashing ones to .build-fuzz/crashes/FORMAT.
# Exits non-zero if any target found a crash. Copy each crashing input to Fuzz/regressions/FORMAT/
# (swift test replays them all) and fix the cause.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
formats=("${@:-npy safetensors csv idx}")
read -r -a formats <<< "${formats[*]}"

scratch=.build-fuzz
# The Swift runtime's backtracer reads foreign stacks and trips AddressSanitizer: let crashes report directly.
export SWIFT_BACKTRACE=enable=no
# One -sanitize flag with both: SwiftPM's --sanitize passes each as a flag of its own, swiftc keeps
# only the last, and the library then gets no coverage instrumentation (blind fuzzing).
swift build -c release --scratch-path "$scratch" --target AutogradNN \
  -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address
out="$scratch/release"
# Every module AutogradNN links: its own, Autograd's, and its dependencies' (swift-numerics, swift-collections).
objects=("$out"/{Autograd,AutogradNN,CAutogradKernels,RealModule,_NumericsShims,OrderedCollections,InternalCollectionsUtilities}.build/*.o)
module_maps=(-Xcc "-fmodule-map-file=$out/CAutogradKernels.build/module.modulemap"
             -Xcc "-fmodule-map-file=$scratch/checkouts/swift-numerics/Sources/_NumericsShims/include/module.modulemap")

status=0
for format in "${formats[@]}"; do
  flag=FORMAT_$(echo "$format" | tr '[:lower:]' '[:upper:]')
  binary="$out/fuzz-$format"
  # The linker warns about every AddressSanitizer symbol it cannot export; nothing to act on.
  swiftc -sanitize=fuzzer,address -parse-as-library -O -D "$flag" -I "$out/Modules" "${module_maps[@]}" \
    Fuzz/FuzzTarget.swift "${objects[@]}" -o "$binary" 2>&1 | { grep -v "Cannot export local symbol" || true; }
  mkdir -p "$scratch/corpus/$format" "$scratch/crashes/$format"
  log="$scratch/fuzz-$format.log"
  echo "== $format: fuzzing for $seconds s (log: $log)"
  if ! "$binary" "$scratch/corpus/$format" "Fuzz/corpus/$format" -max_total_time="$seconds" -max_len=4096 \
       -artifact_prefix="$scratch/crashes/$format/" -print_final_stats=1 > "$log" 2>&1; then
    status=1
    echo "!! $format: a crash; the input is in $scratch/crashes/$format/"
    grep -E "ERROR|Fatal error|SUMMARY" "$log" | head -5 || true
  fi
  grep -E "^stat::number_of_executed_units|^Done" "$log" || true
done
exit $status
