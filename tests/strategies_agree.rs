//! Every strategy computes the same workload digest, for many (jobs, workers) pairs and every workload,
//! and the chain matches SHA-256 vectors computed independently (Python's hashlib).

use std::time::Duration;

use cvp::workload::chain;
use cvp::{Digest, StrategyKind, Workload, WorkloadKind};

#[test]
fn chain_matches_independent_sha256_vectors() {
    // python3 -c "import hashlib; h=hashlib.sha256((7).to_bytes(8,'little')).digest()
    //   [h:=hashlib.sha256(h).digest() for _ in range(1000)]; print(h.hex())"
    assert_eq!(chain(7, 1000).to_hex(), "467faa000914398109914d301b10374c1150e40f4f17639e9dc0985db600414b");
    assert_eq!(chain(1, 10_000).to_hex(), "1dede079ad776e2786270414537f351b1b964f8f19da887c21e5f427aec00416");
}

#[test]
fn expected_digest_is_the_xor_of_the_job_chains() {
    let w = Workload::new(WorkloadKind::CpuBound, 3, Duration::ZERO, 4);
    assert_eq!(w.expected_digest(), chain(0, 4) ^ chain(1, 4) ^ chain(2, 4));
    assert_ne!(w.expected_digest(), Digest::default());
}

#[test]
fn all_strategies_agree_for_many_jobs_and_workers() {
    // 1 job; workers > jobs; workers = 1; uneven splits; workers = jobs.
    let pairs = [(1, 1), (1, 4), (2, 1), (3, 2), (5, 8), (7, 3), (16, 16), (33, 4)];
    // net_bound's requests go to `cvp serve`, replying after the same 1 ms.
    let server =
        cvp::workload::net::Server::start_exe(env!("CARGO_BIN_EXE_cvp").as_ref(), Duration::from_millis(1))
            .expect("the net_bound service starts");
    for kind in WorkloadKind::ALL {
        for &(jobs, workers) in &pairs {
            let mut workload = Workload::new(kind, jobs, Duration::from_millis(1), 3);
            if kind.is_net() {
                workload = workload.on(&server);
            }
            let expected = workload.expected_digest();
            for strategy in StrategyKind::ALL {
                let built = strategy.build(workers).expect("build");
                // Twice: pools and runtimes are reused between runs.
                for _ in 0..2 {
                    assert_eq!(
                        built.run(&workload).expect("the run finishes"),
                        expected,
                        "{kind}/{strategy}/{workers} with {jobs} jobs"
                    );
                }
            }
        }
    }
}

#[test]
fn different_workloads_have_different_digests() {
    let cpu = Workload::new(WorkloadKind::CpuBound, 4, Duration::from_millis(1), 3);
    let io = Workload::new(WorkloadKind::IoBound, 4, Duration::from_millis(1), 3);
    assert_ne!(cpu.expected_digest(), io.expected_digest(), "io_bound drops the rounds");
}

#[test]
fn every_strategy_computes_cpu_chain_as_one_chain_of_all_the_rounds() {
    // cpu_bound's 5 jobs of 7 rounds, as one chain of 35 rounds from seed 0, with no wait.
    let w = Workload::new(WorkloadKind::CpuChain, 5, Duration::from_millis(1), 7);
    assert_eq!((w.jobs, w.rounds, w.wait), (1, 35, Duration::ZERO));
    assert_eq!(w.expected_digest(), chain(0, 35));
    for strategy in StrategyKind::ALL {
        for workers in [1, 3] {
            let built = strategy.build(workers).expect("build");
            assert_eq!(built.run(&w).expect("the run finishes"), chain(0, 35), "{strategy}/{workers}");
        }
    }
}
