//! GGUF v2/v3 reader (header, metadata, tensor infos, tensor data) and a small writer used to
//! build synthetic models in tests.
//!
//! Layout (ggml `docs/gguf.md`), all little-endian: magic `GGUF`, `u32` version, `u64` tensor
//! count, `u64` metadata count, metadata `(string key, u32 type, value)*`, tensor infos
//! `(string name, u32 n_dims, u64 dims[n_dims], u32 ggml_type, u64 offset)*`, padding to
//! `general.alignment` (default 32), tensor data. Strings are `u64` length + UTF-8 bytes.
//! Every length and offset is checked against the file size before use, so a hostile file is an
//! error, not a panic or a huge allocation.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::LlmError;
use crate::llm::ggml::GgmlType;

const MAGIC: &[u8; 4] = b"GGUF";
const DEFAULT_ALIGNMENT: u64 = 32;

/// A metadata value.
#[derive(Clone, Debug, PartialEq)]
pub enum MetaValue {
    /// Type 0.
    U8(u8),
    /// Type 1.
    I8(i8),
    /// Type 2.
    U16(u16),
    /// Type 3.
    I16(i16),
    /// Type 4.
    U32(u32),
    /// Type 5.
    I32(i32),
    /// Type 6.
    F32(f32),
    /// Type 7.
    Bool(bool),
    /// Type 8.
    String(String),
    /// Type 9: element type id and the elements.
    Array(u32, Vec<MetaValue>),
    /// Type 10.
    U64(u64),
    /// Type 11.
    I64(i64),
    /// Type 12.
    F64(f64),
}

impl MetaValue {
    /// The value as u64 when it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            MetaValue::U8(v) => Some(v.into()),
            MetaValue::U16(v) => Some(v.into()),
            MetaValue::U32(v) => Some(v.into()),
            MetaValue::U64(v) => Some(v),
            MetaValue::I8(v) => u64::try_from(v).ok(),
            MetaValue::I16(v) => u64::try_from(v).ok(),
            MetaValue::I32(v) => u64::try_from(v).ok(),
            MetaValue::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as f64 when it is numeric.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            MetaValue::F32(v) => Some(v.into()),
            MetaValue::F64(v) => Some(v),
            _ => self.as_u64().map(|v| v as f64),
        }
    }

    /// The string, when it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            MetaValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The elements, when it is an array.
    pub fn as_array(&self) -> Option<&[MetaValue]> {
        match self {
            MetaValue::Array(_, v) => Some(v),
            _ => None,
        }
    }

    fn type_id(&self) -> u32 {
        match self {
            MetaValue::U8(_) => 0,
            MetaValue::I8(_) => 1,
            MetaValue::U16(_) => 2,
            MetaValue::I16(_) => 3,
            MetaValue::U32(_) => 4,
            MetaValue::I32(_) => 5,
            MetaValue::F32(_) => 6,
            MetaValue::Bool(_) => 7,
            MetaValue::String(_) => 8,
            MetaValue::Array(..) => 9,
            MetaValue::U64(_) => 10,
            MetaValue::I64(_) => 11,
            MetaValue::F64(_) => 12,
        }
    }
}

/// One tensor's description. `dims[0]` is the fastest-varying (row length).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    /// Tensor name, e.g. `blk.0.attn_q.weight`.
    pub name: String,
    /// Dimensions, innermost first (ggml `ne`).
    pub dims: Vec<u64>,
    /// Element type.
    pub ty: GgmlType,
    /// Offset of the data relative to the start of the data section.
    pub offset: u64,
}

impl TensorInfo {
    /// Number of elements.
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }

    /// Bytes of data (whole blocks).
    pub fn n_bytes(&self) -> u64 {
        self.ty.row_bytes(self.n_elements())
    }
}

/// A parsed GGUF file held in memory.
#[derive(Debug)]
pub struct Gguf {
    /// Format version (2 or 3).
    pub version: u32,
    /// Metadata in key order.
    pub metadata: BTreeMap<String, MetaValue>,
    /// Tensor infos in file order.
    pub tensors: Vec<TensorInfo>,
    bytes: Vec<u8>,
    data_start: u64,
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn err(&self, reason: impl Into<String>) -> LlmError {
        LlmError::Gguf {
            offset: self.pos as u64,
            reason: reason.into(),
        }
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], LlmError> {
        let left = (self.b.len() - self.pos) as u64;
        if n > left {
            return Err(self.err(format!("need {n} bytes, {left} left")));
        }
        let s = &self.b[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    fn arr<const N: usize>(&mut self) -> Result<[u8; N], LlmError> {
        let s = self.take(N as u64)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn u32(&mut self) -> Result<u32, LlmError> {
        Ok(u32::from_le_bytes(self.arr()?))
    }

    fn u64(&mut self) -> Result<u64, LlmError> {
        Ok(u64::from_le_bytes(self.arr()?))
    }

    fn string(&mut self) -> Result<String, LlmError> {
        let n = self.u64()?;
        let start = self.pos;
        let s = self.take(n)?;
        String::from_utf8(s.to_vec()).map_err(|_| LlmError::Gguf {
            offset: start as u64,
            reason: "string is not UTF-8".into(),
        })
    }

    fn value(&mut self, ty: u32, depth: u32) -> Result<MetaValue, LlmError> {
        Ok(match ty {
            0 => MetaValue::U8(self.arr::<1>()?[0]),
            1 => MetaValue::I8(self.arr::<1>()?[0] as i8),
            2 => MetaValue::U16(u16::from_le_bytes(self.arr()?)),
            3 => MetaValue::I16(i16::from_le_bytes(self.arr()?)),
            4 => MetaValue::U32(self.u32()?),
            5 => MetaValue::I32(i32::from_le_bytes(self.arr()?)),
            6 => MetaValue::F32(f32::from_le_bytes(self.arr()?)),
            7 => MetaValue::Bool(self.arr::<1>()?[0] != 0),
            8 => MetaValue::String(self.string()?),
            9 => {
                if depth > 4 {
                    return Err(self.err("arrays nested too deeply"));
                }
                let ety = self.u32()?;
                let n = self.u64()?;
                // Every element takes at least one byte: a larger count is a lie, and checking
                // it first bounds the allocation below.
                if n > (self.b.len() - self.pos) as u64 {
                    return Err(self.err(format!("array of {n} elements exceeds the file")));
                }
                let mut v = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    v.push(self.value(ety, depth + 1)?);
                }
                MetaValue::Array(ety, v)
            }
            10 => MetaValue::U64(self.u64()?),
            11 => MetaValue::I64(i64::from_le_bytes(self.arr()?)),
            12 => MetaValue::F64(f64::from_le_bytes(self.arr()?)),
            t => return Err(self.err(format!("unknown metadata type {t}"))),
        })
    }
}

impl Gguf {
    /// Reads and parses a file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, LlmError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| LlmError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(bytes)
    }

    /// Parses a whole file held in memory.
    pub fn parse(bytes: Vec<u8>) -> Result<Self, LlmError> {
        let mut c = Cursor { b: &bytes, pos: 0 };
        if &c.arr::<4>()? != MAGIC {
            return Err(LlmError::Gguf {
                offset: 0,
                reason: "bad magic (not a GGUF file)".into(),
            });
        }
        let version = c.u32()?;
        if !(2..=3).contains(&version) {
            return Err(c.err(format!("unsupported GGUF version {version}")));
        }
        let n_tensors = c.u64()?;
        let n_kv = c.u64()?;
        let mut metadata = BTreeMap::new();
        for _ in 0..n_kv {
            let key = c.string()?;
            let ty = c.u32()?;
            let v = c.value(ty, 0)?;
            metadata.insert(key, v);
        }
        if n_tensors > (bytes.len() / 8) as u64 {
            return Err(c.err(format!("{n_tensors} tensors cannot fit the file")));
        }
        let mut tensors = Vec::with_capacity(n_tensors as usize);
        for _ in 0..n_tensors {
            let name = c.string()?;
            let n_dims = c.u32()?;
            if !(1..=4).contains(&n_dims) {
                return Err(c.err(format!("tensor {name}: {n_dims} dims")));
            }
            let mut dims = Vec::with_capacity(n_dims as usize);
            for _ in 0..n_dims {
                dims.push(c.u64()?);
            }
            let ty_id = c.u32()?;
            let ty = GgmlType::from_id(ty_id).ok_or_else(|| LlmError::UnsupportedType {
                ggml_type: ty_id,
                tensor: name.clone(),
            })?;
            let offset = c.u64()?;
            tensors.push(TensorInfo {
                name,
                dims,
                ty,
                offset,
            });
        }
        let alignment = metadata
            .get("general.alignment")
            .and_then(MetaValue::as_u64)
            .unwrap_or(DEFAULT_ALIGNMENT)
            .max(1);
        let data_start = (c.pos as u64).next_multiple_of(alignment);
        let file_len = bytes.len() as u64;
        for t in &tensors {
            let n = t
                .dims
                .iter()
                .try_fold(1u64, |a, &d| a.checked_mul(d))
                .filter(|&n| n % t.ty.block_len() == 0);
            let end = n
                .map(|n| t.ty.row_bytes(n))
                .and_then(|b| b.checked_add(t.offset))
                .and_then(|e| e.checked_add(data_start));
            match end {
                Some(end) if end <= file_len => {}
                _ => {
                    return Err(LlmError::Gguf {
                        offset: data_start + t.offset,
                        reason: format!(
                            "tensor {} ({:?} {:?}) lies outside the file or is not whole blocks",
                            t.name, t.ty, t.dims
                        ),
                    })
                }
            }
        }
        Ok(Self {
            version,
            metadata,
            tensors,
            bytes,
            data_start,
        })
    }

    /// A metadata value.
    pub fn get(&self, key: &str) -> Option<&MetaValue> {
        self.metadata.get(key)
    }

    /// A tensor's info by name.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// A tensor's raw bytes (bounds were checked at parse time).
    pub fn tensor_data(&self, t: &TensorInfo) -> &[u8] {
        let start = (self.data_start + t.offset) as usize;
        &self.bytes[start..start + t.n_bytes() as usize]
    }
}

/// Writes a GGUF v3 file image (alignment 32). `tensors` are `(name, dims, type, raw bytes)`;
/// each tensor's byte length must match its dims and type.
pub fn write(
    metadata: &[(String, MetaValue)],
    tensors: &[(String, Vec<u64>, GgmlType, Vec<u8>)],
) -> Vec<u8> {
    fn put_str(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    fn put_val(out: &mut Vec<u8>, v: &MetaValue) {
        match v {
            MetaValue::U8(x) => out.push(*x),
            MetaValue::I8(x) => out.push(*x as u8),
            MetaValue::U16(x) => out.extend_from_slice(&x.to_le_bytes()),
            MetaValue::I16(x) => out.extend_from_slice(&x.to_le_bytes()),
            MetaValue::U32(x) => out.extend_from_slice(&x.to_le_bytes()),
            MetaValue::I32(x) => out.extend_from_slice(&x.to_le_bytes()),
            MetaValue::F32(x) => out.extend_from_slice(&x.to_le_bytes()),
            MetaValue::Bool(x) => out.push(u8::from(*x)),
            MetaValue::String(s) => put_str(out, s),
            MetaValue::Array(ety, items) => {
                out.extend_from_slice(&ety.to_le_bytes());
                out.extend_from_slice(&(items.len() as u64).to_le_bytes());
                for it in items {
                    put_val(out, it);
                }
            }
            MetaValue::U64(x) => out.extend_from_slice(&x.to_le_bytes()),
            MetaValue::I64(x) => out.extend_from_slice(&x.to_le_bytes()),
            MetaValue::F64(x) => out.extend_from_slice(&x.to_le_bytes()),
        }
    }
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&(tensors.len() as u64).to_le_bytes());
    out.extend_from_slice(&(metadata.len() as u64).to_le_bytes());
    for (k, v) in metadata {
        put_str(&mut out, k);
        out.extend_from_slice(&v.type_id().to_le_bytes());
        put_val(&mut out, v);
    }
    let mut offset = 0u64;
    for (name, dims, ty, data) in tensors {
        put_str(&mut out, name);
        out.extend_from_slice(&(dims.len() as u32).to_le_bytes());
        for d in dims {
            out.extend_from_slice(&d.to_le_bytes());
        }
        out.extend_from_slice(&ty.id().to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        offset = (offset + data.len() as u64).next_multiple_of(DEFAULT_ALIGNMENT);
    }
    out.resize(
        (out.len() as u64).next_multiple_of(DEFAULT_ALIGNMENT) as usize,
        0,
    );
    for (_, _, _, data) in tensors {
        out.extend_from_slice(data);
        out.resize(
            (out.len() as u64).next_multiple_of(DEFAULT_ALIGNMENT) as usize,
            0,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let f32s: Vec<u8> = (0..64).flat_map(|i| (i as f32).to_le_bytes()).collect();
        write(
            &[
                (
                    "general.architecture".into(),
                    MetaValue::String("llama".into()),
                ),
                ("x.n".into(), MetaValue::U32(7)),
                (
                    "x.arr".into(),
                    MetaValue::Array(8, vec![MetaValue::String("a b".into())]),
                ),
            ],
            &[
                ("t0".into(), vec![32, 2], GgmlType::F32, f32s),
                ("t1".into(), vec![32], GgmlType::Q8_0, vec![0u8; 34]),
            ],
        )
    }

    #[test]
    fn round_trips_metadata_and_tensors() {
        let g = Gguf::parse(sample()).unwrap();
        assert_eq!(g.version, 3);
        assert_eq!(g.get("x.n").and_then(MetaValue::as_u64), Some(7));
        assert_eq!(
            g.get("general.architecture").and_then(MetaValue::as_str),
            Some("llama")
        );
        let t0 = g.tensor("t0").unwrap();
        assert_eq!(t0.dims, vec![32, 2]);
        let d = g.tensor_data(t0);
        assert_eq!(f32::from_le_bytes(d[4 * 63..].try_into().unwrap()), 63.0);
        let t1 = g.tensor("t1").unwrap();
        assert_eq!(
            (t1.ty, t1.offset % 32, t1.n_bytes()),
            (GgmlType::Q8_0, 0, 34)
        );
    }

    #[test]
    fn truncated_or_corrupt_files_are_errors() {
        let full = sample();
        // The last 30 bytes are padding after t1's 34 data bytes; cutting 31 cuts into t1.
        for cut in [0, 3, 10, 30, full.len() - 31] {
            assert!(Gguf::parse(full[..cut].to_vec()).is_err(), "cut at {cut}");
        }
        let mut bad = full.clone();
        bad[0] = b'X';
        assert!(matches!(
            Gguf::parse(bad),
            Err(LlmError::Gguf { offset: 0, .. })
        ));
        // A huge array count must fail fast instead of allocating.
        let mut huge = Vec::new();
        huge.extend_from_slice(b"GGUF");
        huge.extend_from_slice(&3u32.to_le_bytes());
        huge.extend_from_slice(&0u64.to_le_bytes());
        huge.extend_from_slice(&1u64.to_le_bytes());
        huge.extend_from_slice(&1u64.to_le_bytes());
        huge.push(b'k');
        huge.extend_from_slice(&9u32.to_le_bytes());
        huge.extend_from_slice(&4u32.to_le_bytes());
        huge.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(Gguf::parse(huge).is_err());
    }
}
