// The cross-CPU bound of the compare-and-swap token buckets (stage_ratelimit.h): CPUs hammering one
// bucket together never admit more than burst + rate * t, and since a CPU that loses its CAS races
// drops without taking a token, the tokens left over are taken by later packets: with enough
// packets the count is exact.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <pthread.h>
#include <sched.h>

#include <thread>
#include <vector>

#include "progrun_fixture.hpp"
#include "xdp_throttle.skel.h"

namespace xt::test {
namespace {

class ConcurrencyTest : public ProgRunTest {
protected:
    void SetUp() override {
        ProgRunTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "needs at least two CPUs";
    }

    // Every CPU runs `repeat` copies of the frame at the same time, each thread pinned to its CPU.
    void run_on_all_cpus(const Frame& frame, uint32_t repeat) {
        const int prog_fd = bpf_program__fd(skel_->progs.xdp_throttle);
        const unsigned cpus = std::thread::hardware_concurrency();
        std::vector<std::thread> threads;
        std::vector<int> errors(cpus, 0);
        for (unsigned cpu = 0; cpu < cpus; ++cpu) {
            threads.emplace_back([&, cpu] {
                cpu_set_t set;
                CPU_ZERO(&set);
                CPU_SET(cpu, &set);
                pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
                LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
                            .data_size_in = static_cast<__u32>(frame.size()), .repeat = static_cast<int>(repeat));
                errors[cpu] = bpf_prog_test_run_opts(prog_fd, &opts);
            });
        }
        for (auto& t : threads) t.join();
        for (unsigned cpu = 0; cpu < cpus; ++cpu) EXPECT_EQ(errors[cpu], 0) << "CPU " << cpu;
    }
};

TEST_F(ConcurrencyTest, SpikeBucketAdmitsExactlyBurstPlusEarnedTokensAcrossCpus) {
    constexpr uint64_t kBurst = 5000;
    config_.spike = rate(10, kSecond, kBurst);
    apply_config();
    const Frame frame = PacketBuilder().eth().ipv4("192.0.2.10", "198.51.100.1").udp(1, 2).build();

    run_on_all_cpus(frame, 50000);
    EXPECT_EQ(packets(XT_PASS), kBurst);

    set_clock(kT0 + 100 * config_.spike.interval_ns);  // 100 tokens earned
    run_on_all_cpus(frame, 50000);
    EXPECT_EQ(packets(XT_PASS), kBurst + 100);
    EXPECT_EQ(stats().seen.packets, 2 * 50000 * uint64_t(std::thread::hardware_concurrency()));
}

TEST_F(ConcurrencyTest, GlobalSynBucketAcrossCpus) {
    constexpr uint64_t kBurst = 3000;
    config_.syn_global = rate(1, kSecond, kBurst);
    apply_config();
    const Frame syn = PacketBuilder().eth().ipv4("192.0.2.10", "198.51.100.1").tcp(1, 80, kSyn).build();
    run_on_all_cpus(syn, 40000);
    EXPECT_EQ(packets(XT_PASS), kBurst);
    EXPECT_EQ(packets(XT_DROP_SYN_GLOBAL), 40000 * uint64_t(std::thread::hardware_concurrency()) - kBurst);
}

}  // namespace
}  // namespace xt::test
