//! ONNX forecasts with ONNX Runtime (`ort`, loaded dynamically).
//!
//! The runtime library is the one inside the PyPI `onnxruntime` wheel that
//! `ci/install-python.sh` installs: `ORT_DYLIB_PATH` if set, otherwise the first
//! `libonnxruntime.so*` under `~/.cache/aipchain/venv/lib/python3*/site-packages/onnxruntime/capi/`.
use crate::features::{day_features, CLEARSKY, N_FEATURES};
use crate::MatcherError;
use ort::session::Session;
use ort::value::Tensor;
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
    /// Loads an ONNX model file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, MatcherError> {
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
            .with_intra_threads(1)
            .map_err(|e| err(e.to_string()))?;
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
        let rows = day_features(history, day_start, lat, lon)?;
        let out = self.predict(&rows)?;
        Ok(out
            .into_iter()
            .zip(&rows)
            .map(|(v, r)| {
                if kind == Kind::Pv && r[CLEARSKY] <= 0.0 {
                    0.0
                } else {
                    v.max(0.0)
                }
            })
            .collect())
    }
}
