//! C5 on a server (`cvp server --cores`): with CPU-bound requests a server's saturation rate grows with
//! its workers up to its cores and no further; with waiting requests it does not grow with them. Each
//! half is a set of sweeps ([`super::sweep::sweep_one`]: the rate sweep's steps and stop rules, each knee
//! narrowed to [`crate::claims::C5_SERVER_RESOLUTION`]) of `async_multi/N` on the same server CPUs. The
//! twins' file judges the verdict from these sweeps.

use super::{CoresSweep, Half, Plan, Structure};

/// Physical cores among `cpus`: their distinct (package, core) pairs from sysfs; where the topology cannot
/// be read, `cpus` scaled by the machine's physical cores per logical CPU (at least 1).
pub fn physical_cores(cpus: &[usize]) -> usize {
    let read = |cpu: usize, what: &str| {
        std::fs::read_to_string(format!("/sys/devices/system/cpu/cpu{cpu}/topology/{what}"))
            .ok()
            .and_then(|t| t.trim().parse::<i64>().ok())
    };
    let pairs: Option<Vec<(i64, i64)>> =
        cpus.iter().map(|&c| Some((read(c, "physical_package_id")?, read(c, "core_id")?))).collect();
    match pairs {
        Some(mut p) if !p.is_empty() => {
            p.sort_unstable();
            p.dedup();
            p.len()
        }
        _ => {
            let (physical, logical) = (num_cpus::get_physical().max(1), num_cpus::get().max(1));
            (cpus.len() * physical.min(logical) / logical).max(1)
        }
    }
}

/// Where C5's sweeps run: the plan's server CPUs where they hold at least 2 physical cores; else every
/// CPU in `allowed`, shared with the generator and the backend (`true`). Their work per request (each
/// step shows it: the generator's cores) then comes out of the CPUs the workers hash on: least at N = 1,
/// whose one worker leaves the other CPUs to them, most at N >= 2, which keep every CPU busy, so it lowers
/// the growth the claim needs; and a generator short of CPU lags, which marks its step generator-bound
/// (never the server's), so it cannot raise a knee either.
pub fn placement(plan: &Plan, allowed: &[usize]) -> (Vec<usize>, Vec<usize>, bool) {
    if physical_cores(&plan.server_cpus) >= 2 || allowed.len() <= plan.server_cpus.len() {
        (plan.server_cpus.clone(), plan.generator_cpus.clone(), plan.server_cpus == plan.generator_cpus)
    } else {
        (allowed.to_vec(), allowed.to_vec(), true)
    }
}

/// The workers of each half on `cpus` server CPUs holding `cores` physical cores: for the hashing, 1, P
/// (the growth), S where it differs and 2S (the cap beyond the CPUs); for the waiting, 1 and P. With one
/// core, 1 and 2 (the sweep still shows what a server of one core does).
pub fn workers(half: Half, cores: usize, cpus: usize) -> Vec<usize> {
    let (p, s) = (cores.max(1), cpus.max(1));
    let mut n = match half {
        Half::Hashing => vec![1, p.max(2), s, 2 * s],
        Half::Waiting => vec![1, p.max(2)],
    };
    n.sort_unstable();
    n.dedup();
    n
}

/// The plan of one sweep of `async_multi/n`: `base` (its CPUs, window) with the half's requests. Hashing:
/// `rounds` of `hash_ms` each and no wait, C = the base's connections, rates from a quarter of what
/// min(n, S) cores can hash. Waiting: the base's wait and rounds over
/// [`crate::claims::C5_SERVER_WAITING_CONNECTIONS`], rates from an eighth of what the connections carry
/// at one request's work (connections / (wait + hashing), Little's law) up to 4 times it (past the
/// connections' bound on purpose: they are what binds). Either way each knee narrowed to
/// [`crate::claims::C5_SERVER_RESOLUTION`].
pub fn plan_for(base: &Plan, half: Half, n: usize, rounds: u32, hash_ms: f64) -> Plan {
    let mut plan = base.clone();
    plan.structures = vec![Structure::AsyncMulti(n)];
    plan.resolution = crate::claims::C5_SERVER_RESOLUTION;
    plan.heavy_rounds = 0;
    plan.heavy_ms = 0.0;
    let s = plan.server_cpus.len().max(1);
    match half {
        Half::Hashing => {
            plan.rounds = rounds;
            plan.wait_ms = 0;
            plan.hash_ms = hash_ms;
            plan.set_connections(base.connections, hash_ms);
            plan.start_rate = 0.25 * n.min(s) as f64 / (hash_ms / 1e3).max(1e-6);
        }
        Half::Waiting => {
            plan.hash_ms = hash_ms;
            let c = crate::claims::C5_SERVER_WAITING_CONNECTIONS;
            plan.set_connections(c, hash_ms);
            let carried = c as f64 / ((plan.wait_ms as f64 + hash_ms) / 1e3).max(1e-6);
            plan.start_rate = carried / 8.0;
            plan.max_rate = carried * 4.0;
        }
    }
    plan.p99_bound_ms = super::analysis::p99_bound_ms(plan.wait_ms, plan.hash_ms, s);
    plan
}

/// Both halves' sweeps on `base`'s server CPUs (already placed by [`placement`]), the hashing half's
/// requests of `rounds` rounds, `hash_ms` each (calibrated to [`crate::claims::C5_SERVER_HASH_MS`] by the
/// caller). `progress` is called before each step with its label.
pub fn run(
    base: &Plan,
    (rounds, hash_ms): (u32, f64),
    mut progress: impl FnMut(&str),
) -> Result<(Vec<CoresSweep>, Vec<String>), String> {
    let cores = physical_cores(&base.server_cpus);
    let (mut sweeps, mut notes) = (Vec::new(), Vec::new());
    for half in [Half::Hashing, Half::Waiting] {
        let hash = if half == Half::Hashing { hash_ms } else { base.hash_ms };
        for n in workers(half, cores, base.server_cpus.len()) {
            let plan = plan_for(base, half, n, rounds, hash);
            let structure = Structure::AsyncMulti(n);
            let (rows, mut said) =
                super::sweep::sweep_one(structure, &plan, |l| progress(&format!("C5 {half}: {l}")))?;
            notes.append(&mut said);
            sweeps.push(CoresSweep {
                half,
                structure,
                cores,
                connections: plan.connections,
                rounds: plan.rounds,
                wait_ms: plan.wait_ms,
                hash_ms: plan.hash_ms,
                p99_bound_ms: plan.p99_bound_ms,
                start_rate: plan.start_rate,
                max_rate: plan.max_rate,
                resolution: plan.resolution,
                rows,
            });
        }
    }
    Ok((sweeps, notes))
}
