//! The agent loop: sources → ingest (sign, queue) → submit (batch, resolve,
//! back off), with a progress line and graceful shutdown.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::config::Config;
use crate::error::Result;
use crate::keys::DeviceKeys;
use crate::queue::{Inserted, Queue, Queued};
use crate::sources::{run_source, Incoming};
use crate::submit::{SubmitError, Submitter};

/// What the agent did in one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Readings newly queued.
    pub queued: u64,
    /// Readings a source delivered again (already queued).
    pub duplicates: u64,
    /// Readings that differ from an already queued one for the same (meter, slot).
    pub conflicts: u64,
    /// Unsigned readings of meters whose key this agent does not hold (dropped).
    pub unsigned: u64,
    /// Transactions accepted by the chain.
    pub batches: u64,
    /// Readings accepted by the chain in this run.
    pub submitted: u64,
    /// Readings found already on chain after a crash or a lost answer.
    pub recovered: u64,
    /// Readings the contract refused.
    pub rejected: u64,
    /// Submissions that failed because the node was unavailable.
    pub unavailable: u64,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Errors that concern the whole batch, not one reading: back off and retry
/// the same readings later instead of splitting the batch.
fn batch_level(message: &str) -> bool {
    message.contains("has not ended") || message.contains("is not an active oracle operator")
}

struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    fn new(initial_ms: u64, max_ms: u64) -> Self {
        let initial = Duration::from_millis(initial_ms);
        Backoff {
            initial,
            max: Duration::from_millis(max_ms),
            next: initial,
        }
    }
    fn reset(&mut self) {
        self.next = self.initial;
    }
    fn step(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }
}

/// Runs the agent until `shutdown` resolves (or, with `submit.exit_when_done`,
/// until every source ended and every reading is on chain or rejected).
///
/// A submission in flight when `shutdown` fires is completed first. If the
/// future itself is dropped (a crash), readings in flight stay `sending` in
/// the queue and are resolved against the chain at the next start.
pub async fn run<S: Submitter + 'static>(
    cfg: &Config,
    keys: DeviceKeys,
    submitter: Arc<S>,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<Stats> {
    let stats = Arc::new(Mutex::new(Stats::default()));
    let (stop_tx, stop_rx) = watch::channel(false);
    // Dropping the JoinSet (end of run, or a crash) aborts sources and ingest.
    let mut tasks: JoinSet<()> = JoinSet::new();

    let (tx, rx) = mpsc::channel::<Incoming>(4096);
    for src in cfg.sources.clone() {
        let tx = tx.clone();
        tasks.spawn(async move {
            if let Err(e) = run_source(src, tx).await {
                tracing::error!(error = %e, "source failed");
            }
        });
    }
    drop(tx);

    let ingest_done = Arc::new(AtomicBool::new(false));
    {
        let queue = Queue::open(&cfg.queue.path)?;
        let chain_id = cfg.signing_chain_id().to_string();
        let contract = cfg.contract.clone();
        let stats = stats.clone();
        let done = ingest_done.clone();
        tasks.spawn(ingest(queue, keys, chain_id, contract, rx, stats, done));
    }

    let mut queue = Queue::open(&cfg.queue.path)?;
    let shutdown_watch = {
        let stop_tx = stop_tx.clone();
        async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        }
    };
    let submit = submit_loop(
        cfg,
        &mut queue,
        submitter.as_ref(),
        stats.clone(),
        ingest_done,
        stop_rx,
    );
    tokio::pin!(shutdown_watch);
    tokio::pin!(submit);
    let mut shutdown_fired = false;
    let res = loop {
        tokio::select! {
            r = &mut submit => break r,
            _ = &mut shutdown_watch, if !shutdown_fired => shutdown_fired = true,
        }
    };
    tasks.shutdown().await;
    res?;
    let s = stats.lock().map(|s| s.clone()).unwrap_or_default();
    Ok(s)
}

async fn ingest(
    queue: Queue,
    keys: DeviceKeys,
    chain_id: String,
    contract: String,
    mut rx: mpsc::Receiver<Incoming>,
    stats: Arc<Mutex<Stats>>,
    done: Arc<AtomicBool>,
) {
    while let Some(Incoming { reading, ack }) = rx.recv().await {
        let signature = match reading.signature {
            Some(s) => s,
            None => match keys.sign(&reading, &chain_id, &contract) {
                Some(s) => s,
                None => {
                    tracing::warn!(meter = reading.meter, slot = %reading.slot, "no device key and no signature: dropped");
                    if let Ok(mut s) = stats.lock() {
                        s.unsigned += 1;
                    }
                    if let Some(ack) = ack {
                        ack();
                    }
                    continue;
                }
            },
        };
        match queue.insert(&reading, &signature) {
            Ok(outcome) => {
                if let Ok(mut s) = stats.lock() {
                    match outcome {
                        Inserted::New => s.queued += 1,
                        Inserted::Duplicate => s.duplicates += 1,
                        Inserted::Conflict => {
                            s.conflicts += 1;
                            tracing::warn!(meter = reading.meter, slot = %reading.slot, "a different reading is already queued; keeping the first");
                        }
                    }
                }
                if let Some(ack) = ack {
                    ack();
                }
            }
            Err(e) => {
                // Not acknowledged: an MQTT broker will redeliver it.
                tracing::error!(error = %e, meter = reading.meter, "queue insert failed");
            }
        }
    }
    done.store(true, Ordering::SeqCst);
}

async fn sleep_or_stop(d: Duration, stop: &mut watch::Receiver<bool>) {
    if *stop.borrow() {
        return;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = stop.changed() => {}
    }
}

/// Asks the chain about readings left `sending`; true when all were resolved.
async fn resolve<S: Submitter>(
    queue: &mut Queue,
    submitter: &S,
    stats: &Mutex<Stats>,
) -> Result<Result<(), SubmitError>> {
    for (slot, meters) in queue.sending()? {
        for chunk in meters.chunks(meter_oracle::msg::MAX_BATCH) {
            let on_chain = match submitter.reported(slot, chunk).await {
                Ok(m) => m,
                Err(e) => return Ok(Err(e)),
            };
            let rest: Vec<u32> = chunk
                .iter()
                .copied()
                .filter(|m| !on_chain.contains(m))
                .collect();
            queue.mark_done(slot, &on_chain, None)?;
            queue.mark_queued(slot, &rest)?;
            if let Ok(mut s) = stats.lock() {
                s.recovered += on_chain.len() as u64;
            }
            if !on_chain.is_empty() || !rest.is_empty() {
                tracing::info!(%slot, on_chain = on_chain.len(), requeued = rest.len(), "resolved unfinished submissions");
            }
        }
    }
    Ok(Ok(()))
}

/// Sends one claimed batch, splitting it when the contract refuses a reading.
async fn send_batch<S: Submitter>(
    queue: &mut Queue,
    submitter: &S,
    stats: &Mutex<Stats>,
    slot: aip_types::SlotId,
    readings: Vec<Queued>,
) -> Result<Result<(), SubmitError>> {
    let mut parts = vec![readings];
    while let Some(mut part) = parts.pop() {
        let meters: Vec<u32> = part.iter().map(|r| r.meter).collect();
        match submitter.submit(slot, &part).await {
            Ok(hash) => {
                queue.mark_done(slot, &meters, Some(&hash))?;
                if let Ok(mut s) = stats.lock() {
                    s.batches += 1;
                    s.submitted += part.len() as u64;
                }
                tracing::debug!(%slot, readings = part.len(), tx = %hash, "batch accepted");
            }
            Err(SubmitError::Unavailable(e)) => {
                // Outcome unknown: leave everything still unsent as `sending`;
                // `resolve` asks the chain before anything is sent again.
                return Ok(Err(SubmitError::Unavailable(e)));
            }
            Err(SubmitError::Rejected(msg)) => {
                if batch_level(&msg) {
                    tracing::warn!(%slot, error = %msg, "batch refused as a whole; retrying later");
                    queue.mark_queued(slot, &meters)?;
                    for p in parts {
                        let m: Vec<u32> = p.iter().map(|r| r.meter).collect();
                        queue.mark_queued(slot, &m)?;
                    }
                    return Ok(Err(SubmitError::Rejected(msg)));
                }
                tracing::warn!(%slot, readings = part.len(), error = %msg, "batch rejected; asking the chain which readings it already has");
                // Some of these may already be on chain (an earlier answer was lost).
                let on_chain = match submitter.reported(slot, &meters).await {
                    Ok(m) => m,
                    Err(e) => return Ok(Err(e)),
                };
                if !on_chain.is_empty() {
                    queue.mark_done(slot, &on_chain, None)?;
                    if let Ok(mut s) = stats.lock() {
                        s.recovered += on_chain.len() as u64;
                    }
                    part.retain(|r| !on_chain.contains(&r.meter));
                    if !part.is_empty() {
                        parts.push(part);
                    }
                } else if part.len() == 1 {
                    tracing::warn!(%slot, meter = part[0].meter, error = %msg, "reading rejected");
                    queue.mark_rejected(slot, part[0].meter, &msg)?;
                    if let Ok(mut s) = stats.lock() {
                        s.rejected += 1;
                    }
                } else {
                    let right = part.split_off(part.len() / 2);
                    parts.push(right);
                    parts.push(part);
                }
            }
        }
    }
    Ok(Ok(()))
}

async fn submit_loop<S: Submitter>(
    cfg: &Config,
    queue: &mut Queue,
    submitter: &S,
    stats: Arc<Mutex<Stats>>,
    ingest_done: Arc<AtomicBool>,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let sc = &cfg.submit;
    let mut backoff = Backoff::new(sc.backoff_initial_ms, sc.backoff_max_ms);
    let started = Instant::now();
    let mut last_progress = Instant::now();
    let progress_every = Duration::from_secs(sc.progress_secs.max(1));
    let mut need_resolve = true;
    loop {
        if *stop.borrow() {
            tracing::info!("shutting down");
            break;
        }
        if last_progress.elapsed() >= progress_every {
            last_progress = Instant::now();
            progress(queue, &stats, started)?;
        }
        if need_resolve {
            match resolve(queue, submitter, &stats).await? {
                Ok(()) => need_resolve = false,
                Err(e) => {
                    let d = backoff.step();
                    tracing::warn!(error = %e, retry_in = ?d, "node unavailable");
                    sleep_or_stop(d, &mut stop).await;
                    continue;
                }
            }
        }
        let Some(batch) = queue.claim(sc.batch_size, unix_now(), sc.min_slot_age_secs)? else {
            let counts = queue.counts()?;
            if sc.exit_when_done
                && ingest_done.load(Ordering::SeqCst)
                && counts.queued == 0
                && counts.sending == 0
            {
                progress(queue, &stats, started)?;
                tracing::info!("every source ended and the queue is empty");
                break;
            }
            sleep_or_stop(Duration::from_millis(100), &mut stop).await;
            continue;
        };
        match send_batch(queue, submitter, &stats, batch.slot, batch.readings).await? {
            Ok(()) => backoff.reset(),
            Err(e) => {
                if matches!(e, SubmitError::Unavailable(_)) {
                    need_resolve = true;
                    if let Ok(mut s) = stats.lock() {
                        s.unavailable += 1;
                    }
                }
                let d = backoff.step();
                tracing::warn!(error = %e, retry_in = ?d, "submission failed");
                sleep_or_stop(d, &mut stop).await;
            }
        }
    }
    Ok(())
}

fn progress(queue: &Queue, stats: &Mutex<Stats>, started: Instant) -> Result<()> {
    let c = queue.counts()?;
    let s = stats.lock().map(|s| s.clone()).unwrap_or_default();
    let secs = started.elapsed().as_secs_f64().max(1e-3);
    tracing::info!(
        queued = c.queued,
        sending = c.sending,
        done = c.done,
        rejected = c.rejected,
        batches = s.batches,
        rate = format!("{:.1}/s", s.submitted as f64 / secs),
        "progress"
    );
    Ok(())
}
