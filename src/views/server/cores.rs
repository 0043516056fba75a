//! C5 on a server (`cvp server --cores`): with CPU-bound requests a server's saturation rate grows with
//! its workers up to its cores and no further; with waiting requests it does not grow with them. Each
//! half searches the knee of `async_multi/N` at several N on the same server CPUs, the N in turn, step by
//! step (the rate sweep's steps and stop rules, [`super::analysis::next_rate`], each knee narrowed to
//! [`crate::claims::C5_SERVER_RESOLUTION`]), so a drift of the machine falls on every N alike. The twins'
//! file judges the verdict from these sweeps.

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

/// Where C5's sweeps run: the plan's server CPUs where they hold at least 2 physical cores (`cores_of`
/// counts them: [`physical_cores`]); else every CPU in `allowed`, shared with the generator and the
/// backend (`true`). Their work per request (each step shows it: the generator's cores) then comes out of
/// the CPUs the workers hash on, least at N = 1 (one worker leaves them the other CPUs) and most at N >= 2
/// (which keep every CPU busy): it lowers the growth the claim needs. A generator short of CPU lags: past
/// 1 ms on average its step is generator-bound, never the server's; a smaller lag adds to the latency from
/// the due time and can only lower a knee.
pub fn placement(
    plan: &Plan,
    allowed: &[usize],
    cores_of: impl Fn(&[usize]) -> usize,
) -> (Vec<usize>, Vec<usize>, bool) {
    if cores_of(&plan.server_cpus) >= 2 || allowed.len() <= plan.server_cpus.len() {
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

/// Keep-alive connections per server CPU of the CPU-bound half: at twice what S cores can hash, the
/// requests in flight at their unloaded latency are 2 per CPU, so the connections never bind before the
/// cores (32 times that is left for the queue near the knee), and few enough that every N of a half keeps
/// its connections open at once (the N are searched in turn) within a default open-file limit.
pub const HASHING_CONNECTIONS_PER_CPU: usize = 64;

/// The plan of one sweep of `async_multi/n`: `base` (its CPUs, window) with the half's requests. Hashing:
/// `rounds` of `hash_ms` each and no wait, [`HASHING_CONNECTIONS_PER_CPU`], rates from a quarter of what
/// min(n, S) cores can hash. Waiting: the base's wait and rounds over as many connections as carry
/// [`crate::claims::C5_SERVER_WAITING_CEILING`] at one request's work (Little's law), rates from an eighth
/// of that ceiling up to 4 times it (past it on purpose: the connections are what binds). Either way each
/// knee narrowed to [`crate::claims::C5_SERVER_RESOLUTION`].
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
            plan.set_connections(HASHING_CONNECTIONS_PER_CPU * s, hash_ms);
            plan.start_rate = 0.25 * n.min(s) as f64 / (hash_ms / 1e3).max(1e-6);
        }
        Half::Waiting => {
            plan.hash_ms = hash_ms;
            let work_s = ((plan.wait_ms as f64 + hash_ms) / 1e3).max(1e-6);
            let c = ((crate::claims::C5_SERVER_WAITING_CEILING * work_s).round() as usize).max(1);
            plan.set_connections(c, hash_ms);
            let ceiling = c as f64 / work_s;
            plan.start_rate = ceiling / 8.0;
            plan.max_rate = ceiling * 4.0;
        }
    }
    plan.p99_bound_ms = super::analysis::p99_bound_ms(plan.wait_ms, plan.hash_ms, s);
    plan
}

/// One half's sweeps on `base`'s server CPUs (already placed by [`placement`]) with `cores` physical cores
/// among them: `async_multi/N` for each N of [`workers`], all started, then searched in turn, one step of
/// each per round (the order reversed every other round) until every search is over. The hashing half's
/// requests are of `rounds` rounds, `hash_ms` each (calibrated to [`crate::claims::C5_SERVER_HASH_MS`] by
/// the caller); the waiting half's are the base's. `progress` is called before each step with its label.
pub fn run_half(
    base: &Plan,
    half: Half,
    cores: usize,
    (rounds, hash_ms): (u32, f64),
    mut progress: impl FnMut(&str),
) -> Result<(Vec<CoresSweep>, Vec<String>), String> {
    let hash = if half == Half::Hashing { hash_ms } else { base.hash_ms };
    let ns = workers(half, cores, base.server_cpus.len());
    let plans: Vec<Plan> = ns.iter().map(|&n| plan_for(base, half, n, rounds, hash)).collect();
    let under = ns
        .iter()
        .zip(&plans)
        .map(|(&n, plan)| super::sweep::UnderTest::start(Structure::AsyncMulti(n), plan))
        .collect::<Result<Vec<_>, String>>()?;
    let mut rows: Vec<Vec<super::StepRow>> = vec![Vec::new(); ns.len()];
    let mut notes = Vec::new();
    for round in 0.. {
        let mut order: Vec<usize> = (0..ns.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        let mut stepped = false;
        for k in order {
            let Some(rate) = super::analysis::next_rate(&rows[k], &plans[k]) else { continue };
            stepped = true;
            progress(&format!("C5 {half}: async_multi/{} at {rate:.0}/s", ns[k]));
            let (row, note) = under[k].step(&plans[k], rate)?;
            rows[k].push(row);
            notes.extend(note);
        }
        if !stepped {
            break;
        }
    }
    let sweeps = ns
        .iter()
        .zip(plans)
        .zip(rows)
        .map(|((&n, plan), rows)| CoresSweep {
            half,
            structure: Structure::AsyncMulti(n),
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
        })
        .collect();
    Ok((sweeps, notes))
}
