//! The ML scorer: an isolation forest over the per-account features
//! ([`crate::features`]), trained in Python with scikit-learn
//! (`training/train.py`), exported with skl2onnx and run here with ONNX
//! Runtime (`ort`, the library from the PyPI `onnxruntime` wheel, found as
//! the matcher's forecasters find it: `aip_matcher::forecast::ort_library_path`). An account whose
//! score (`decision_function`: below 0 = more isolated than the training
//! data's outliers) is below the threshold becomes an `ml` finding with its
//! features as evidence.

use std::path::Path;
use std::sync::OnceLock;

use ort::session::Session;
use ort::value::Tensor;
use serde_json::json;

use crate::detect::DetectConfig;
use crate::evidence::{Code, Finding};
use crate::features::{features, FEATURES, N_FEATURES};
use crate::ledger::Ledger;
use crate::{Error, Result};

static ENV: OnceLock<std::result::Result<ort::environment::Environment, String>> = OnceLock::new();

fn environment() -> Result<&'static ort::environment::Environment> {
    ENV.get_or_init(|| {
        // Found as the forecasters find it: ORT_DYLIB_PATH, else the venv's wheel.
        let path = aip_matcher::forecast::ort_library_path().ok_or_else(|| {
            "libonnxruntime.so not found: run ci/install-python.sh or set ORT_DYLIB_PATH"
                .to_string()
        })?;
        ort::init_from(&path)
            .map_err(|e| format!("loading {}: {e}", path.display()))?
            .with_name("aip-sentinel")
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| Error::Onnx(e.clone()))
}

/// A loaded scorer.
pub struct MlScorer {
    session: Session,
    /// Scores below this become findings.
    pub threshold: f32,
    model: String,
}

impl MlScorer {
    /// Loads the ONNX model at `path`.
    pub fn load(path: &Path, threshold: f32) -> Result<MlScorer> {
        if !path.exists() {
            return Err(Error::Onnx(format!(
                "{}: no such model file",
                path.display()
            )));
        }
        let env = environment()?;
        let err = |e: String| Error::Onnx(format!("{}: {e}", path.display()));
        let mut b = Session::builder(env)
            .map_err(|e| err(e.to_string()))?
            .with_intra_threads(1)
            .map_err(|e| err(e.to_string()))?;
        let session = b.commit_from_file(path).map_err(|e| err(e.to_string()))?;
        Ok(MlScorer {
            session,
            threshold,
            model: path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
        })
    }

    /// The model's score of each row (lower = more anomalous).
    pub fn scores(&mut self, rows: &[[f32; N_FEATURES]]) -> Result<Vec<f32>> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let flat: Vec<f32> = rows.iter().flatten().copied().collect();
        let input = Tensor::from_array(([rows.len(), N_FEATURES], flat))
            .map_err(|e| Error::Onnx(e.to_string()))?;
        let out = self
            .session
            .run(ort::inputs![input])
            .map_err(|e| Error::Onnx(e.to_string()))?;
        let scores = out
            .get("scores")
            .ok_or_else(|| Error::Onnx("the model has no `scores` output".into()))?;
        let (_, data) = scores
            .try_extract_tensor::<f32>()
            .map_err(|e| Error::Onnx(e.to_string()))?;
        if data.len() != rows.len() {
            return Err(Error::Onnx(format!(
                "{} scores for {} rows",
                data.len(),
                rows.len()
            )));
        }
        Ok(data.to_vec())
    }

    /// Findings for accounts scoring below the threshold.
    pub fn findings(&mut self, l: &Ledger, cfg: &DetectConfig) -> Result<Vec<Finding>> {
        let f = features(l, cfg);
        let rows: Vec<[f32; N_FEATURES]> = f.values().copied().collect();
        let s = self.scores(&rows)?;
        Ok(f.iter()
            .zip(s)
            .filter(|(_, s)| *s < self.threshold)
            .map(|((a, row), s)| Finding {
                account: a.clone(),
                code: Code::Ml,
                evidence: json!({
                    "rule": "isolation-forest score below the threshold",
                    "model": self.model,
                    "score": (f64::from(s) * 1e4).round() / 1e4,
                    "threshold": self.threshold,
                    "features": FEATURES.iter().zip(row).map(|(n, v)| (n.to_string(), json!((f64::from(*v) * 1e4).round() / 1e4))).collect::<serde_json::Map<_, _>>(),
                }),
            })
            .collect())
    }
}
