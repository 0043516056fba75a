//! The `cvp` command: hash, machine, run (for now).
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seed: u64 = args[1].parse().unwrap();
    let rounds: u32 = args[2].parse().unwrap();
    let t = std::time::Instant::now();
    let d = cvp::workload::chain(seed, rounds);
    println!("{d} {:?}", t.elapsed());
}
