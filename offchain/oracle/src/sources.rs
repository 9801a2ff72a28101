//! Where readings come from. Every source sends [`Incoming`] readings into
//! one channel; the agent's ingest task signs and queues them.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::time::Duration;

use aip_types::SlotId;
use tokio::sync::mpsc;

use crate::config::SourceConfig;
use crate::error::{Error, Result};
use crate::reading::{parse_json, parse_signature, Reading};

/// Called once the reading is durably queued (acknowledges an MQTT message).
pub type Ack = Box<dyn FnOnce() + Send>;

/// A reading from a source.
pub struct Incoming {
    /// The reading.
    pub reading: Reading,
    /// Acknowledgement to run after the reading is in the queue.
    pub ack: Option<Ack>,
}

impl Incoming {
    fn plain(reading: Reading) -> Self {
        Incoming { reading, ack: None }
    }
}

fn source_err(path: &Path, message: impl ToString) -> Error {
    Error::Source {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

fn open(path: &Path) -> Result<Box<dyn Read + Send>> {
    let f = std::fs::File::open(path).map_err(|e| source_err(path, e))?;
    if path.extension().is_some_and(|e| e == "gz") {
        Ok(Box::new(flate2::read::GzDecoder::new(f)))
    } else {
        Ok(Box::new(f))
    }
}

/// Net metering of one household in one slot: (exported, imported) Wh.
pub fn net(load_wh: f64, pv_wh: f64, scale: f64) -> (u64, u64) {
    let diff = (pv_wh - load_wh) * scale;
    if diff >= 0.0 {
        (diff.round() as u64, 0)
    } else {
        (0, (-diff).round() as u64)
    }
}

/// Reads SimBench household energy (`slot,load_0,pv_0,load_1,pv_1,…`, the
/// format of `aip_data`, which parses it) into readings: the first
/// `households` households by ascending id (all when `None`) become meters
/// `first_meter`, `first_meter + 1`, …, over the first `slots` rows (all when
/// `None`, fewer when the file is shorter).
pub fn read_profiles(
    path: &Path,
    first_meter: u32,
    households: Option<usize>,
    slots: Option<usize>,
    scale: f64,
) -> Result<Vec<Reading>> {
    let e = aip_data::read(
        path,
        &aip_data::Selection {
            first_row: 0,
            rows: slots,
            households: None,
            fewer_rows_ok: true,
        },
    )?;
    let n = households
        .unwrap_or(e.households.len())
        .min(e.households.len());
    let mut out = Vec::with_capacity(n * e.slots());
    for t in 0..e.slots() {
        let start = e.first_slot + t as u64 * aip_data::SLOT_SECONDS;
        let slot = SlotId::new(start).map_err(|err| source_err(path, err))?;
        for h in 0..n {
            let (exported_wh, imported_wh) =
                net(f64::from(e.load_wh[h][t]), f64::from(e.pv_wh[h][t]), scale);
            let meter = aip_data::meter_of_household(first_meter, h)
                .ok_or_else(|| source_err(path, format!("meter of household {h} overflows")))?;
            out.push(Reading {
                meter,
                slot,
                exported_wh,
                imported_wh,
                signature: None,
            });
        }
    }
    Ok(out)
}

/// Reads a readings CSV: header `slot,meter,exported_wh,imported_wh[,signature]`.
pub fn read_csv(path: &Path) -> Result<Vec<Reading>> {
    let mut rdr = csv::Reader::from_reader(open(path)?);
    let mut out = vec![];
    for (row_no, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| source_err(path, e))?;
        let field = |i: usize, name: &str| -> Result<u64> {
            rec.get(i)
                .ok_or_else(|| source_err(path, format!("row {}: no {name}", row_no + 2)))?
                .trim()
                .parse()
                .map_err(|e| source_err(path, format!("row {}: {name}: {e}", row_no + 2)))
        };
        let slot = SlotId::new(field(0, "slot")?).map_err(|e| source_err(path, e))?;
        let signature = match rec.get(4).map(str::trim) {
            Some(s) if !s.is_empty() => Some(parse_signature(s)?),
            _ => None,
        };
        out.push(Reading {
            meter: u32::try_from(field(1, "meter")?)
                .map_err(|_| source_err(path, format!("row {}: meter too large", row_no + 2)))?,
            slot,
            exported_wh: field(2, "exported_wh")?,
            imported_wh: field(3, "imported_wh")?,
            signature,
        });
    }
    Ok(out)
}

/// Reads a JSON-lines file; a bad line is logged and skipped.
pub fn read_jsonl(path: &Path) -> Result<(Vec<Reading>, usize)> {
    let reader = BufReader::new(open(path)?);
    let mut out = vec![];
    let mut bad = 0;
    for (no, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| source_err(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        match parse_json(line.as_bytes()) {
            Ok(r) => out.push(r),
            Err(e) => {
                bad += 1;
                tracing::warn!(file = %path.display(), line = no + 1, error = %e, "skipping line");
            }
        }
    }
    Ok((out, bad))
}

/// Runs one source to its end (files) or forever (MQTT), sending readings.
pub async fn run_source(src: SourceConfig, tx: mpsc::Sender<Incoming>) -> Result<()> {
    let readings = match &src {
        SourceConfig::Profiles {
            path,
            first_meter,
            households,
            slots,
            scale,
        } => {
            let (p, f, h, s, sc) = (path.clone(), *first_meter, *households, *slots, *scale);
            tokio::task::spawn_blocking(move || read_profiles(&p, f, h, s, sc))
                .await
                .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))??
        }
        SourceConfig::Csv { path } => read_csv(path)?,
        SourceConfig::File { path } => read_jsonl(path)?.0,
        SourceConfig::Mqtt {
            host,
            port,
            topic,
            client_id,
        } => return run_mqtt(host, *port, topic, client_id, tx).await,
    };
    tracing::info!(source = ?kind(&src), readings = readings.len(), "source read");
    for r in readings {
        if tx.send(Incoming::plain(r)).await.is_err() {
            break; // shutting down
        }
    }
    Ok(())
}

fn kind(src: &SourceConfig) -> &'static str {
    match src {
        SourceConfig::Profiles { .. } => "profiles",
        SourceConfig::Csv { .. } => "csv",
        SourceConfig::File { .. } => "file",
        SourceConfig::Mqtt { .. } => "mqtt",
    }
}

/// Subscribes to `topic` (QoS 1, persistent session, manual acks) and
/// forwards every valid message; a message is acknowledged only after the
/// agent queued it, so a crash before that makes the broker redeliver it.
pub async fn run_mqtt(
    host: &str,
    port: u16,
    topic: &str,
    client_id: &str,
    tx: mpsc::Sender<Incoming>,
) -> Result<()> {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
    let mut opts = MqttOptions::new(client_id, host, port);
    opts.set_keep_alive(Duration::from_secs(30));
    opts.set_clean_session(false);
    opts.set_manual_acks(true);
    let (client, mut events) = AsyncClient::new(opts, 256);
    client
        .subscribe(topic, QoS::AtLeastOnce)
        .await
        .map_err(|e| Error::Chain(format!("mqtt subscribe: {e}")))?;
    let mut delay = Duration::from_millis(200);
    loop {
        match events.poll().await {
            Ok(Event::Incoming(Packet::Publish(p))) => {
                delay = Duration::from_millis(200);
                match parse_json(&p.payload) {
                    Ok(reading) => {
                        let c = client.clone();
                        let ack: Ack = Box::new(move || {
                            if let Err(e) = c.try_ack(&p) {
                                tracing::warn!(error = %e, "mqtt ack failed");
                            }
                        });
                        if tx
                            .send(Incoming {
                                reading,
                                ack: Some(ack),
                            })
                            .await
                            .is_err()
                        {
                            return Ok(());
                        }
                    }
                    Err(e) => {
                        tracing::warn!(topic = %p.topic, error = %e, "dropping bad mqtt message");
                        // A malformed message will never parse: acknowledge it.
                        let _ = client.try_ack(&p);
                    }
                }
            }
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                // Re-subscribe after every (re)connect; harmless with a kept session.
                let _ = client.try_subscribe(topic, QoS::AtLeastOnce);
                tracing::info!(host, port, topic, "mqtt connected");
            }
            Ok(_) => {}
            Err(e) => {
                if tx.is_closed() {
                    return Ok(());
                }
                tracing::warn!(error = %e, retry_in = ?delay, "mqtt connection");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn net_metering_splits_export_and_import() {
        assert_eq!(net(100.0, 30.0, 1.0), (0, 70));
        assert_eq!(net(100.0, 250.0, 1.0), (150, 0));
        assert_eq!(net(100.0, 250.0, 2.0), (300, 0));
        assert_eq!(net(0.0, 0.0, 1.0), (0, 0));
    }

    #[test]
    fn simbench_profiles_become_readings_per_household_and_slot() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("h.csv.gz");
        let f = std::fs::File::create(&path).expect("create");
        let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        gz.write_all(
            b"slot,load_0,pv_0,load_1,pv_1\n900,178,0,10,50\n1800,50,60,0,0\n2700,1,1,1,1\n",
        )
        .expect("write");
        gz.finish().expect("finish");
        let r = read_profiles(&path, 10, None, Some(2), 1.0).expect("read");
        let got: Vec<(u32, u64, u64, u64)> = r
            .iter()
            .map(|r| (r.meter, r.slot.0, r.exported_wh, r.imported_wh))
            .collect();
        assert_eq!(
            got,
            vec![
                (10, 900, 0, 178),
                (11, 900, 40, 0),
                (10, 1800, 10, 0),
                (11, 1800, 0, 0)
            ]
        );
        let one = read_profiles(&path, 1, Some(1), None, 1.0).expect("read");
        assert_eq!(one.len(), 3);
        // More slots than the file has: the ones it has.
        assert_eq!(
            read_profiles(&path, 1, None, Some(9), 1.0)
                .expect("read")
                .len(),
            6
        );
    }

    #[test]
    fn a_malformed_profile_file_is_refused_with_its_line() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("h.csv");
        std::fs::write(
            &path,
            "slot,load_0,pv_0
900,178,0
1800,1e3,0
",
        )
        .expect("write");
        let e = read_profiles(&path, 1, None, None, 1.0).expect_err("bad value");
        assert_eq!(
            e.to_string(),
            format!(
                "source {}: line 3, column load_0: \"1e3\" is not a whole number of Wh (0..=4294967295)",
                path.display()
            )
        );
        std::fs::write(
            &path,
            "slot,load_0
900,178
",
        )
        .expect("write");
        let e = read_profiles(&path, 1, None, None, 1.0).expect_err("half a household");
        assert!(
            e.to_string().ends_with("line 1: load_0 has no pv_0 column"),
            "{e}"
        );
    }

    #[test]
    fn the_real_simbench_export_parses() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/simbench/households_wh.csv.gz");
        if !path.exists() {
            return; // data/ is produced by another step; nothing to check without it
        }
        let r = read_profiles(&path, 1, Some(5), Some(4), 1.0).expect("read");
        assert_eq!(r.len(), 20);
        assert_eq!(r[0].slot, SlotId(1_451_606_400));
    }

    #[test]
    fn readings_csv_and_jsonl_parse_and_report_bad_rows() {
        let dir = tempfile::tempdir().expect("tmp");
        let csv_path = dir.path().join("r.csv");
        let sig = "cd".repeat(64);
        std::fs::write(
            &csv_path,
            format!("slot,meter,exported_wh,imported_wh,signature\n900,1,5,0,\n900,2,0,7,{sig}\n"),
        )
        .expect("write");
        let r = read_csv(&csv_path).expect("read");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].signature, None);
        assert_eq!(r[1].signature, Some([0xcd; 64]));
        std::fs::write(&csv_path, "slot,meter,exported_wh,imported_wh\n901,1,5,0\n")
            .expect("write");
        let e = read_csv(&csv_path).expect_err("unaligned");
        assert!(
            e.to_string()
                .ends_with("slot start 901 is not aligned to 900 s"),
            "{e}"
        );
        std::fs::write(&csv_path, "slot,meter,exported_wh,imported_wh\n900,x,5,0\n")
            .expect("write");
        let e = read_csv(&csv_path).expect_err("meter");
        assert!(e.to_string().contains("row 2: meter"), "{e}");

        let jl = dir.path().join("r.jsonl");
        std::fs::write(
            &jl,
            "{\"meter\":1,\"slot\":900,\"exported_wh\":1,\"imported_wh\":0}\nnot json\n\n",
        )
        .expect("write");
        let (r, bad) = read_jsonl(&jl).expect("read");
        assert_eq!((r.len(), bad), (1, 1));
    }
}
