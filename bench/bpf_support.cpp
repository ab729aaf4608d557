#include "bpf_support.hpp"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace xt::bench {

Result<ObjectPtr> load_object_file(const std::string& path) {
    ObjectPtr obj(bpf_object__open_file(path.c_str(), nullptr));
    if (!obj) return failf(errno, "cannot open BPF object {}: {}", path, std::strerror(errno));
    bpf_map* map = nullptr;
    bpf_object__for_each_map(map, obj.get()) {
        if (int err = bpf_map__set_pin_path(map, nullptr); err)
            return failf(-err, "cannot unpin map {} of {}", bpf_map__name(map), path);
    }
    if (int err = bpf_object__load(obj.get()); err)
        return failf(-err, "cannot load BPF object {}: {} (run as root; see libbpf's log above)",
                     path, std::strerror(-err));
    return obj;
}

Result<int> map_fd(bpf_object* obj, const char* name) {
    const bpf_map* map = bpf_object__find_map_by_name(obj, name);
    if (!map) return failf(ENOENT, "BPF object {} has no map '{}'", bpf_object__name(obj), name);
    return bpf_map__fd(map);
}

Result<int> program_fd(bpf_object* obj, const char* name) {
    bpf_program* prog = nullptr;
    if (name && *name) {
        prog = bpf_object__find_program_by_name(obj, name);
    } else {
        prog = bpf_object__next_program(obj, nullptr);
        if (prog && bpf_object__next_program(obj, prog))
            return failf(EINVAL, "BPF object {} has several programs: name one",
                         bpf_object__name(obj));
    }
    if (!prog)
        return failf(ENOENT, "BPF object {} has no program '{}'", bpf_object__name(obj), name);
    return bpf_program__fd(prog);
}

Result<TestRun> test_run(int prog_fd, std::span<const uint8_t> frame, int repeat) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
                .data_size_in = static_cast<__u32>(frame.size()), .repeat = repeat);
    if (int err = bpf_prog_test_run_opts(prog_fd, &opts); err)
        return failf(-err, "BPF_PROG_TEST_RUN failed: {}", std::strerror(-err));
    return TestRun{opts.retval, opts.duration};
}

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

int possible_cpus() {
    return libbpf_num_possible_cpus();
}

}  // namespace xt::bench
