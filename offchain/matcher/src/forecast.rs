//! ONNX forecasts with ONNX Runtime (`ort`, loaded dynamically).
//!
//! The runtime library is the one inside the PyPI `onnxruntime` wheel that
//! `ci/install-python.sh` installs: `ORT_DYLIB_PATH` if set, otherwise the first
//! `libonnxruntime.so*` under `~/.cache/aipchain/venv/lib/python3*/site-packages/onnxruntime/capi/`.
use crate::features::{DayContext, CLEARSKY, N_FEATURES, SLOTS_PER_DAY};
use crate::MatcherError;
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use ort::value::Tensor;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

static ENV: OnceLock<Result<ort::environment::Environment, String>> = OnceLock::new();

/// Where the ONNX Runtime library is looked for (see the module doc).
pub fn ort_library_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME")?;
    let cache = std::env::var_os("AIP_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(&home).join(".cache/aipchain"));
    let lib = cache.join("venv/lib");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&lib)
        .ok()?
        .flatten()
        .map(|e| e.path().join("site-packages/onnxruntime/capi"))
        .filter_map(|capi| std::fs::read_dir(capi).ok())
        .flat_map(|rd| rd.flatten().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libonnxruntime.so"))
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

fn environment() -> Result<&'static ort::environment::Environment, MatcherError> {
    ENV.get_or_init(|| {
        let path = ort_library_path().ok_or_else(|| {
            "libonnxruntime.so not found: run ci/install-python.sh or set ORT_DYLIB_PATH"
                .to_string()
        })?;
        ort::init_from(&path)
            .map_err(|e| format!("loading {}: {e}", path.display()))?
            .with_name("aip-matcher")
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| MatcherError::Onnx(e.clone()))
}

/// What a model forecasts (decides the post-processing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// household demand
    Load,
    /// PV generation: zero when the clear-sky irradiance is zero
    Pv,
}

/// A loaded forecaster (one ONNX model: `[n, 19]` f32 features in, `[n, 1]` out).
pub struct Forecaster {
    session: Session,
}

impl Forecaster {
    /// Loads an ONNX model file with the default options (one intra-op thread,
    /// ONNX Runtime's default graph optimisation).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, MatcherError> {
        Self::load_with(path, SessionOptions::default())
    }

    /// Loads an ONNX model file with explicit session options.
    pub fn load_with(path: impl AsRef<Path>, opts: SessionOptions) -> Result<Self, MatcherError> {
        let env = environment()?;
        let path = path.as_ref();
        if !path.exists() {
            return Err(MatcherError::Io {
                path: path.display().to_string(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such model file"),
            });
        }
        let err = |e: String| MatcherError::Onnx(format!("{}: {e}", path.display()));
        let mut builder = Session::builder(env)
            .map_err(|e| err(e.to_string()))?
            .with_intra_threads(opts.intra_threads.max(1))
            .map_err(|e| err(e.to_string()))?;
        if opts.optimize_all {
            builder = builder
                .with_optimization_level(GraphOptimizationLevel::All)
                .map_err(|e| err(e.to_string()))?;
        }
        let session = builder
            .commit_from_file(path)
            .map_err(|e| err(e.to_string()))?;
        Ok(Forecaster { session })
    }

    /// Raw model outputs for rows of features (see [`crate::features::FEATURES`]).
    pub fn predict(&mut self, rows: &[[f32; N_FEATURES]]) -> Result<Vec<f32>, MatcherError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let flat: Vec<f32> = rows.iter().flatten().copied().collect();
        self.predict_flat(&flat, N_FEATURES)
    }

    /// Raw model outputs for a row-major `[n, width]` buffer.
    pub fn predict_flat(&mut self, flat: &[f32], width: usize) -> Result<Vec<f32>, MatcherError> {
        if width != N_FEATURES || !flat.len().is_multiple_of(width) {
            return Err(MatcherError::FeatureWidth {
                expected: N_FEATURES,
                got: if width == N_FEATURES {
                    flat.len() % width
                } else {
                    width
                },
            });
        }
        let n = flat.len() / width;
        let input = Tensor::from_array(([n, width], flat.to_vec()))
            .map_err(|e| MatcherError::Onnx(e.to_string()))?;
        let outputs = self
            .session
            .run(ort::inputs![input])
            .map_err(|e| MatcherError::Onnx(e.to_string()))?;
        let (_, data) = outputs[0]
            .try_extract_tensor::<f32>()
            .map_err(|e| MatcherError::Onnx(e.to_string()))?;
        Ok(data.to_vec())
    }

    /// Day-ahead forecast of a normalised profile: 96 values, clipped at zero (and zero
    /// at night for PV). `history`: the 672 values before `day_start` (midnight UTC).
    pub fn forecast_day(
        &mut self,
        kind: Kind,
        history: &[f32],
        day_start: u64,
        lat: f64,
        lon: f64,
    ) -> Result<Vec<f32>, MatcherError> {
        let mut flat = Vec::with_capacity(SLOTS_PER_DAY * N_FEATURES);
        DayContext::new(day_start, lat, lon)?.features_into(history, &mut flat)?;
        self.forecast_rows(kind, &flat)
    }

    /// Day-ahead forecasts of many households at one location in ONE ONNX Runtime
    /// call: features of every household into one `[n × 96, 19]` buffer (the
    /// calendar and clear-sky part computed once, [`DayContext`]), one run, then
    /// the same post-processing as [`Forecaster::forecast_day`]. `histories[h]`:
    /// the 672 values of household `h` before `ctx`'s day. Returns 96 values per
    /// household, in the order given; equal to `forecast_day` per household.
    pub fn forecast_days(
        &mut self,
        kind: Kind,
        histories: &[&[f32]],
        ctx: &DayContext,
    ) -> Result<Vec<Vec<f32>>, MatcherError> {
        let width = SLOTS_PER_DAY * N_FEATURES;
        let mut flat = Vec::with_capacity(histories.len() * width);
        for h in histories {
            ctx.features_into(h, &mut flat)?;
        }
        let out = self.forecast_rows(kind, &flat)?;
        Ok(out
            .chunks_exact(SLOTS_PER_DAY)
            .map(<[f32]>::to_vec)
            .collect())
    }

    /// Post-processed forecasts of a row-major `[n, N_FEATURES]` buffer, in
    /// ONE ONNX Runtime call. For PV only the daylight rows (clear-sky feature
    /// above zero) go to the model: the others are zero whatever the model
    /// says ([`Kind::postprocess`]), so the result equals running every row,
    /// and a day costs the model what its daylight costs (28 to 68 of the 96
    /// slots at the SimBench location, 48 on average over 2016).
    fn forecast_rows(&mut self, kind: Kind, flat: &[f32]) -> Result<Vec<f32>, MatcherError> {
        let rows = flat.chunks_exact(N_FEATURES);
        let runs = |r: &[f32]| kind != Kind::Pv || r[CLEARSKY] > 0.0;
        let input: Cow<[f32]> = if kind == Kind::Pv {
            Cow::Owned(
                rows.clone()
                    .filter(|r| runs(r))
                    .flatten()
                    .copied()
                    .collect(),
            )
        } else {
            Cow::Borrowed(flat)
        };
        let out = if input.is_empty() {
            Vec::new()
        } else {
            self.predict_flat(&input, N_FEATURES)?
        };
        if out.len() * N_FEATURES != input.len() {
            return Err(MatcherError::Onnx(format!(
                "model returned {} values for {} rows",
                out.len(),
                input.len() / N_FEATURES
            )));
        }
        let mut vals = out.into_iter();
        Ok(rows
            .map(|r| match runs(r) {
                true => kind.postprocess(vals.next().unwrap_or(0.0), r[CLEARSKY]),
                false => 0.0,
            })
            .collect())
    }
}

/// ONNX Runtime session options of a [`Forecaster`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionOptions {
    /// intra-op threads (0 is taken as 1)
    pub intra_threads: usize,
    /// `true`: every graph optimisation (`GraphOptimizationLevel::All`);
    /// `false`: ONNX Runtime's default level
    pub optimize_all: bool,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            intra_threads: 1,
            optimize_all: false,
        }
    }
}

impl Kind {
    /// The post-processing of a raw model output `v` for a slot whose clear-sky
    /// feature is `clearsky`: clipped at zero, and zero at night for PV.
    pub fn postprocess(self, v: f32, clearsky: f32) -> f32 {
        if self == Kind::Pv && clearsky <= 0.0 {
            0.0
        } else {
            v.max(0.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{day_features, HISTORY};

    fn models() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
    }

    /// The fixture day, location and the load and PV histories of models/fixtures.json.
    fn fixture() -> (u64, f64, f64, Vec<f32>, Vec<f32>) {
        let bytes = std::fs::read(models().join("fixtures.json")).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let hist = |k: &str| -> Vec<f32> {
            v[k]["history"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect()
        };
        (
            v["load"]["day_start"].as_u64().unwrap(),
            v["location"]["lat"].as_f64().unwrap(),
            v["location"]["lon"].as_f64().unwrap(),
            hist("load"),
            hist("pv"),
        )
    }

    /// 40 different households: the fixture history scaled and rotated.
    fn households(base: &[f32]) -> Vec<Vec<f32>> {
        (0..40)
            .map(|h| {
                let scale = 0.5 + h as f32 * 0.05;
                let mut v: Vec<f32> = base.iter().map(|x| x * scale).collect();
                v.rotate_left(h * 7);
                v
            })
            .collect()
    }

    #[test]
    fn batched_forecasts_equal_per_household_forecasts() {
        let (day, lat, lon, load, pv) = fixture();
        let ctx = DayContext::new(day, lat, lon).unwrap();
        for (file, kind, base) in [
            ("load.onnx", Kind::Load, &load),
            ("pv.onnx", Kind::Pv, &pv),
            ("load_small_trees.onnx", Kind::Load, &load),
            ("pv_small_trees.onnx", Kind::Pv, &pv),
            ("load_ridge.onnx", Kind::Load, &load),
            ("pv_ridge.onnx", Kind::Pv, &pv),
        ] {
            let hh = households(base);
            let refs: Vec<&[f32]> = hh.iter().map(Vec::as_slice).collect();
            for opts in [
                SessionOptions::default(),
                SessionOptions {
                    intra_threads: 2,
                    optimize_all: true,
                },
            ] {
                let mut m = Forecaster::load_with(models().join(file), opts).unwrap();
                let batch = m.forecast_days(kind, &refs, &ctx).unwrap();
                assert_eq!(batch.len(), hh.len());
                // exact against per-household calls with the same session options
                let mut single = Forecaster::load_with(models().join(file), opts).unwrap();
                for (h, got) in hh.iter().zip(&batch) {
                    let want = single.forecast_day(kind, h, day, lat, lon).unwrap();
                    assert_eq!(got, &want, "{file} {opts:?}");
                }
                // two intra-op threads sum the trees in another order: f32 rounding only
                let mut one = Forecaster::load(models().join(file)).unwrap();
                for (h, got) in hh.iter().zip(&batch) {
                    let want = one.forecast_day(kind, h, day, lat, lon).unwrap();
                    for (g, w) in got.iter().zip(&want) {
                        assert!((g - w).abs() <= 1e-6, "{file} {opts:?}: {g} vs {w}");
                    }
                }
                // the forecasts differ between households (the batch is not one row repeated)
                assert_ne!(batch[0], batch[39], "{file}");
                if kind == Kind::Pv {
                    assert!(batch.iter().flatten().any(|&v| v > 0.0), "{file}");
                    assert_eq!(batch[5][0], 0.0, "{file}: PV at midnight");
                }
            }
        }
    }

    #[test]
    fn pv_night_rows_skip_the_model_and_change_nothing() {
        let (day, lat, lon, _, pv) = fixture();
        let ctx = DayContext::new(day, lat, lon).unwrap();
        let hh = households(&pv);
        let refs: Vec<&[f32]> = hh.iter().map(Vec::as_slice).collect();
        let mut flat = Vec::new();
        for h in &refs {
            ctx.features_into(h, &mut flat).unwrap();
        }
        for file in ["pv.onnx", "pv_small_trees.onnx", "pv_ridge.onnx"] {
            let mut m = Forecaster::load(models().join(file)).unwrap();
            // every row through the model, then the post-processing
            let raw = m.predict_flat(&flat, N_FEATURES).unwrap();
            let want: Vec<f32> = raw
                .iter()
                .zip(flat.chunks_exact(N_FEATURES))
                .map(|(&v, r)| Kind::Pv.postprocess(v, r[CLEARSKY]))
                .collect();
            let got = m.forecast_days(Kind::Pv, &refs, &ctx).unwrap().concat();
            assert_eq!(got, want, "{file}");
            // the day has night rows, and the model's raw output there is not
            // zero: the zeros come from the post-processing, not from the model
            let night: Vec<f32> = raw
                .iter()
                .zip(flat.chunks_exact(N_FEATURES))
                .filter(|(_, r)| r[CLEARSKY] <= 0.0)
                .map(|(&v, _)| v)
                .collect();
            assert!(!night.is_empty() && night.len() < raw.len(), "{file}");
            assert!(night.iter().any(|&v| v != 0.0), "{file}");
        }
    }

    #[test]
    fn batch_features_equal_day_features() {
        let (day, lat, lon, load, _) = fixture();
        let ctx = DayContext::new(day, lat, lon).unwrap();
        let mut flat = Vec::new();
        ctx.features_into(&load, &mut flat).unwrap();
        let rows = day_features(&load, day, lat, lon).unwrap();
        assert_eq!(flat, rows.concat());
        assert_eq!(ctx.day_start(), day);
    }

    #[test]
    fn bad_model_path_is_a_clear_error() {
        let Err(err) = Forecaster::load("/nonexistent/load.onnx") else {
            panic!("loaded a missing model")
        };
        assert_eq!(
            err.to_string(),
            "/nonexistent/load.onnx: no such model file"
        );
        let junk =
            std::env::temp_dir().join(format!("aip-not-a-model-{}.onnx", std::process::id()));
        std::fs::write(&junk, b"not an onnx model").unwrap();
        let res = Forecaster::load_with(&junk, SessionOptions::default());
        std::fs::remove_file(&junk).unwrap();
        let Err(err) = res else {
            panic!("loaded a file that is not ONNX")
        };
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("ONNX Runtime: {}: ", junk.display())),
            "{msg}"
        );
    }

    #[test]
    fn a_short_history_in_a_batch_is_refused() {
        let (day, lat, lon, load, _) = fixture();
        let ctx = DayContext::new(day, lat, lon).unwrap();
        let mut m = Forecaster::load(models().join("load.onnx")).unwrap();
        let short = &load[..HISTORY - 1];
        let err = m
            .forecast_days(Kind::Load, &[&load, short], &ctx)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "need 672 history values (7 days of 15-min slots), got 671"
        );
        assert!(m.forecast_days(Kind::Load, &[], &ctx).unwrap().is_empty());
        let err = DayContext::new(day + 900, lat, lon).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("day start {} is not midnight UTC", day + 900)
        );
    }
}
