//! Where the computation runs: the CPU (with the fast kernels of `cpu_kernels`), or a GPU
//! through candle's `cuda` / `metal` back ends when the library is built with that feature
//! (`cargo build --release --features cuda`).

use candle_core::{Device, Tensor};

use crate::error::{NstError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum DeviceChoice {
    /// A GPU when this build supports one and it is present, else the CPU.
    #[default]
    Auto,
    Cpu,
    /// An NVIDIA GPU by index (`cuda` = `cuda:0`).
    Cuda(usize),
    /// The Apple GPU.
    Metal,
}

impl DeviceChoice {
    /// "auto", "cpu", "cuda", "cuda:1" or "metal".
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_lowercase();
        let unknown = || NstError::UnknownChoice {
            what: "device",
            value: s.clone(),
            valid: "auto, cpu, cuda, cuda:N, metal".into(),
        };
        Ok(match s.as_str() {
            "auto" => Self::Auto,
            "cpu" => Self::Cpu,
            "cuda" | "gpu" => Self::Cuda(0),
            "metal" | "mps" => Self::Metal,
            _ => Self::Cuda(s.strip_prefix("cuda:").and_then(|n| n.parse().ok()).ok_or_else(unknown)?),
        })
    }

    /// Open the device, or say why it cannot be used and what to do.
    pub fn open(self) -> Result<Device> {
        let unavailable = |device: &str, reason: String| NstError::DeviceUnavailable { device: device.into(), reason };
        match self {
            Self::Cpu => Ok(Device::Cpu),
            Self::Auto => {
                if candle_core::utils::cuda_is_available() {
                    if let Ok(d) = Device::new_cuda(0) {
                        return Ok(d);
                    }
                }
                if candle_core::utils::metal_is_available() {
                    if let Ok(d) = Device::new_metal(0) {
                        return Ok(d);
                    }
                }
                Ok(Device::Cpu)
            }
            Self::Cuda(i) => {
                if !cfg!(feature = "cuda") {
                    return Err(unavailable(
                        "cuda",
                        "this build of nst_lib has no CUDA support: rebuild with `--features cuda` (needs the CUDA \
                         toolkit), or use --device cpu"
                            .into(),
                    ));
                }
                Device::new_cuda(i).map_err(|e| unavailable(&format!("cuda:{i}"), e.to_string()))
            }
            Self::Metal => {
                if !cfg!(feature = "metal") {
                    return Err(unavailable(
                        "metal",
                        "this build of nst_lib has no Metal support: rebuild with `--features metal` (macOS), or use \
                         --device cpu"
                            .into(),
                    ));
                }
                Device::new_metal(0).map_err(|e| unavailable("metal", e.to_string()))
            }
        }
    }
}

impl std::str::FromStr for DeviceChoice {
    type Err = NstError;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

/// A one-element tensor's value on the host, in f64 whatever its own type.
pub(crate) fn scalar(t: &Tensor) -> Result<f64> {
    Ok(t.to_dtype(candle_core::DType::F64)?.to_scalar::<f64>()?)
}

/// The same tensor under a new id, sharing its storage (no copy when it is contiguous).
///
/// Why: evcxr links every notebook cell with its own copy of candle, whose tensor-id counter
/// starts again at 1 in each cell, so a constant made in an earlier cell (a target, a weight) can
/// carry the id of a tensor made now. candle's backward pass keys the graph by id, and such a
/// clash gives a wrong gradient without an error. Constants aliased when an evaluation starts
/// take ids from the running cell's counter, unique among the tensors of that graph.
pub fn fresh_id(t: &Tensor) -> Result<Tensor> {
    Ok(t.detach().reshape(t.shape())?)
}
