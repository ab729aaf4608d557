// libbpf plumbing shared by the benchmark binaries: RAII for objects and skeletons, map and program
// lookup by name, and one BPF_PROG_TEST_RUN call; and their main()'s error edge.
#pragma once

#include <bpf/libbpf.h>
#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <span>
#include <string>

#include "common/result.hpp"

namespace xt::bench {

struct ObjectCloser {
    void operator()(bpf_object* obj) const { bpf_object__close(obj); }
};
using ObjectPtr = std::unique_ptr<bpf_object, ObjectCloser>;

// A skeleton (bpftool gen skeleton) owned like an object: Skeleton<xt_bench_drop,
// xt_bench_drop__destroy>.
template <typename Skel, void (*Destroy)(Skel*)>
struct SkeletonDestroyer {
    void operator()(Skel* s) const { Destroy(s); }
};
template <typename Skel, void (*Destroy)(Skel*)>
using SkeletonPtr = std::unique_ptr<Skel, SkeletonDestroyer<Skel, Destroy>>;

// Opens and loads an ELF object. Pinning declared in the object (xdp-filter pins by name) is
// dropped: benchmark maps are private and must not touch what an operator has under /sys/fs/bpf.
Result<ObjectPtr> load_object_file(const std::string& path);

Result<int> map_fd(bpf_object* obj, const char* name);
// The program called `name`, or the object's only program when name is empty.
Result<int> program_fd(bpf_object* obj, const char* name = "");

struct TestRun {
    uint32_t retval = 0;
    uint32_t ns_per_packet = 0;  // the kernel's `duration`: the run's total time / repeat
};

// One BPF_PROG_TEST_RUN of an XDP program over `frame`, `repeat` times on the calling CPU.
Result<TestRun> test_run(int prog_fd, std::span<const uint8_t> frame, int repeat);

// CLOCK_MONOTONIC in ns: the clock bpf_ktime_get_ns() reads.
uint64_t monotonic_ns();

int possible_cpus();

// A binary's main(): `body`'s exit status, or 1 with "name: message" on stderr if it throws (the
// benchmarks' only error edge).
template <typename Body>
int run_main(const char* name, Body&& body) {
    try {
        return body();
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}: {}\n", name, e.what());
        return 1;
    }
}

}  // namespace xt::bench
