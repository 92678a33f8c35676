//! Schema-driven JSON message generator and template mutator.
//!
//! Input: the draft-07 JSON schema `cosmwasm_schema::schema_for!` writes for a message type
//! (`oneOf` per enum variant, `definitions` + `$ref`, `anyOf [.., null]` for options, `type`
//! arrays, `enum` for unit variants). Output: random instances that mostly fit the schema, with
//! values biased towards what the contracts care about (the test world's addresses, ids and
//! hashes; 0 / 1 / max / max+1 boundaries; bps edges; numeric strings for `Uint128`; base64 for
//! `Binary`, often of another generated message), and sometimes deliberately do not (wrong
//! types, missing required or unknown fields, malformed numbers, addresses and encodings).

use std::rc::Rc;

use cosmwasm_std::Binary;
use serde_json::{Map, Number, Value};

use crate::rng::Rng;

/// Deepest schema nesting followed; past it the generator answers `null` / `{}`.
const MAX_DEPTH: usize = 14;
/// Deepest `Binary` in `Binary` (e.g. multisig proposal → timelock `Schedule` → registry call).
const MAX_NEST: u32 = 3;

/// A message type carried in `Binary` fields (CW20 hooks, `WasmMsg::Execute::msg`, ...).
#[derive(Clone, Debug)]
pub struct Nested {
    pub schema: Rc<Value>,
    pub templates: Vec<Value>,
}

/// Values of the world under test that random data would never hit.
#[derive(Clone, Debug, Default)]
pub struct Vocab {
    /// Valid addresses: accounts and contracts of the world.
    pub addresses: Vec<String>,
    /// Plausible free-text values (names, licences, uris, ports, channels, methods).
    pub strings: Vec<String>,
    /// Hex strings that matter (content hashes, roots, spec hashes, commitments).
    pub hex: Vec<String>,
    /// Byte strings that matter (public keys, signatures), sent base64-encoded.
    pub binaries: Vec<Vec<u8>>,
    /// Amounts, ids and limits that matter (fees, bonds, job / datanet / proposal ids).
    pub numbers: Vec<u128>,
    /// Native denominations.
    pub denoms: Vec<String>,
    /// Messages that fit in `Binary` fields.
    pub nested: Vec<Nested>,
}

impl Vocab {
    /// Strings every contract sees in its tests plus the edge cases of free text.
    pub fn new() -> Vocab {
        Vocab {
            strings: [
                "a",
                "CC-BY-4.0",
                "MIT",
                "ipfs://row",
                "web3",
                "channel-0",
                "attest",
                "suffix_span",
                "rag_retrieval",
                "wgpu",
                "OpenLedger",
                "OPEN",
                "uopen",
                "https://example.com/logo.png",
            ]
            .map(String::from)
            .to_vec(),
            numbers: vec![1, 2, 3, 10, 100, 1_000, 10_000, 86_400, 1 << 20],
            denoms: ["uopen", "uatom"].map(String::from).to_vec(),
            ..Vocab::default()
        }
    }
}

/// Produces JSON values from schemas; every choice comes from its [`Rng`].
pub struct Gen {
    pub rng: Rng,
    pub vocab: Rc<Vocab>,
    nest: u32,
}

/// One step of a path into a JSON value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

fn def<'a>(root: &'a Value, r: &str) -> Option<&'a Value> {
    root.get("definitions")?
        .get(r.strip_prefix("#/definitions/")?)
}

/// Follows `$ref`s and single-element `allOf`s.
pub fn resolve<'a>(root: &'a Value, mut s: &'a Value) -> &'a Value {
    for _ in 0..32 {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            match def(root, r) {
                Some(d) => s = d,
                None => return s,
            }
        } else if let Some([one]) = s.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
            s = one;
        } else {
            break;
        }
    }
    s
}

/// The schema of the value at `path` in an instance of `root` (best effort: the first
/// `oneOf` / `anyOf` alternative that has the key).
pub fn schema_at<'a>(root: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    let mut s = root;
    for seg in path {
        s = step(root, s, seg, 0)?;
    }
    Some(s)
}

fn step<'a>(root: &'a Value, s: &'a Value, seg: &Seg, depth: usize) -> Option<&'a Value> {
    if depth > 8 {
        return None;
    }
    let s = resolve(root, s);
    let direct = match seg {
        Seg::Key(k) => s
            .get("properties")
            .and_then(|p| p.get(k))
            .or_else(|| s.get("additionalProperties").filter(|a| a.is_object())),
        Seg::Index(i) => match s.get("items") {
            Some(Value::Array(tuple)) => tuple.get(*i),
            Some(items) => Some(items),
            None => None,
        },
    };
    if direct.is_some() {
        return direct;
    }
    for key in ["oneOf", "anyOf"] {
        for alt in s.get(key).and_then(Value::as_array).into_iter().flatten() {
            if let Some(x) = step(root, alt, seg, depth + 1) {
                return Some(x);
            }
        }
    }
    None
}

/// Every path to a node below the root of `v` (at most `cap`).
pub fn paths(v: &Value, cap: usize) -> Vec<Vec<Seg>> {
    fn walk(v: &Value, at: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>, cap: usize) {
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    if out.len() >= cap {
                        return;
                    }
                    at.push(Seg::Key(k.clone()));
                    out.push(at.clone());
                    walk(c, at, out, cap);
                    at.pop();
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    if out.len() >= cap {
                        return;
                    }
                    at.push(Seg::Index(i));
                    out.push(at.clone());
                    walk(c, at, out, cap);
                    at.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), &mut out, cap);
    out
}

pub fn get_mut<'a>(mut v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    for seg in path {
        v = match seg {
            Seg::Key(k) => v.get_mut(k.as_str())?,
            Seg::Index(i) => v.get_mut(*i)?,
        };
    }
    Some(v)
}

/// Removes the node at `path` from its parent object / array; false if there is none.
fn remove_at(v: &mut Value, path: &[Seg]) -> bool {
    let Some((last, parent)) = path.split_last() else {
        return false;
    };
    match (get_mut(v, parent), last) {
        (Some(Value::Object(m)), Seg::Key(k)) => m.remove(k).is_some(),
        (Some(Value::Array(a)), Seg::Index(i)) if *i < a.len() => {
            a.remove(*i);
            true
        }
        _ => false,
    }
}

/// Drops `description`s (most of a schema's bytes; the generator never reads them).
pub fn strip_descriptions(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("description");
            m.remove("title");
            m.remove("examples");
            m.values_mut().for_each(strip_descriptions);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_descriptions),
        _ => {}
    }
}

/// Field names whose `String` holds an address.
pub fn is_address_key(k: &str) -> bool {
    matches!(
        k,
        "address"
            | "addr"
            | "recipient"
            | "owner"
            | "new_owner"
            | "spender"
            | "contract"
            | "operator"
            | "sender"
            | "governance"
            | "proposer"
            | "grantee"
            | "contributor"
            | "attester"
            | "curator"
            | "treasury"
            | "fee_collector"
            | "minter"
            | "new_minter"
            | "admin"
            | "executor"
            | "group"
            | "verifier"
            | "slash_recipient"
            | "marketing"
            | "open_token"
            | "start_after"
    ) || k.ends_with("_addr")
        || k.ends_with("_address")
        || k.ends_with("_registry")
}

const UNICODE: &[&str] = &[
    "é",
    "日本語",
    "🦀",
    "\u{0}",
    "\u{200b}",
    "\u{202e}",
    "\u{feff}",
    "\u{fffd}",
    "a\u{301}",
    "\n\t\r",
    "\\",
    "\"",
    "'",
    "<script>",
    "%s%n",
    "../..",
    "\u{10ffff}",
    " ",
];

const BAD_UINTS: &[&str] = &[
    "-1",
    "",
    " 1",
    "1 ",
    "01",
    "1.0",
    "1e3",
    "+5",
    "0x10",
    "\u{663}",
    "340282366920938463463374607431768211456",
    "115792089237316195423570985008687907853269984665640564039457584007913129639936",
    "99999999999999999999999999999999999999999999999999999999999999999999999999999999",
    "NaN",
    "null",
    "1_000",
];

const DECIMALS: &[&str] = &[
    "0",
    "1",
    "0.5",
    "1.5",
    "0.000000000000000001",
    "0.0000000000000000001",
    "340282366920938463463.374607431768211455",
    "340282366920938463464",
    "-0.5",
    "1e-3",
    ".5",
    "5.",
    "0.51",
    "0.3",
    "1.000000000000000000",
];

const BAD_BASE64: &[&str] = &[
    "!", "a", "abc", "====", "YQ", "YQ=", "Y Q==", "🦀", "-_-_", "=YQ",
];

fn hex_of(b: &[u8]) -> String {
    const H: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(H[(x >> 4) as usize] as char);
        s.push(H[(x & 15) as usize] as char);
    }
    s
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Gen {
    pub fn new(rng: Rng, vocab: Vocab) -> Gen {
        Gen {
            rng,
            vocab: Rc::new(vocab),
            nest: 0,
        }
    }

    /// A random instance of the message type `root` (a root schema).
    pub fn message(&mut self, root: &Value) -> Value {
        self.value(root, root, 0, None)
    }

    /// `tmpl` (a known-good message of type `root`) with one to three nodes changed:
    /// regenerated from the node's schema, tweaked near its value, or removed.
    pub fn mutate(&mut self, root: &Value, tmpl: &Value) -> Value {
        let mut v = tmpl.clone();
        let rounds = 1 + usize::from(self.rng.chance(25)) + usize::from(self.rng.chance(8));
        for _ in 0..rounds {
            let ps = paths(&v, 4_096);
            if ps.is_empty() {
                return self.message(root);
            }
            let p = self.rng.pick(&ps).clone();
            let hint = match p.last() {
                Some(Seg::Key(k)) => Some(k.clone()),
                _ => None,
            };
            let roll = self.rng.below(100);
            if (55..65).contains(&roll) && p.len() > 1 && remove_at(&mut v, &p) {
                continue;
            }
            let new = match schema_at(root, &p) {
                Some(s) if roll < 55 => self.value(root, s, p.len(), hint.as_deref()),
                _ => {
                    let cur = get_mut(&mut v, &p).map(|c| c.take()).unwrap_or_default();
                    self.tweak(cur, hint.as_deref())
                }
            };
            if let Some(slot) = get_mut(&mut v, &p) {
                *slot = new;
            }
        }
        v
    }

    fn value(&mut self, root: &Value, s: &Value, depth: usize, hint: Option<&str>) -> Value {
        if depth > MAX_DEPTH {
            return if self.rng.chance(50) {
                Value::Null
            } else {
                Value::Object(Map::new())
            };
        }
        if self.rng.chance(1) {
            return self.wild(depth);
        }
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let name = r.trim_start_matches("#/definitions/");
            if let Some(v) = self.named(name) {
                return v;
            }
            return match def(root, r) {
                Some(d) => self.value(root, d, depth + 1, hint),
                None => self.wild(depth),
            };
        }
        if let Some(first) = s
            .get("allOf")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            return self.value(root, first, depth, hint);
        }
        for key in ["oneOf", "anyOf"] {
            let Some(alts) = s.get(key).and_then(Value::as_array) else {
                continue;
            };
            if alts.is_empty() {
                break;
            }
            let null_alt = alts
                .iter()
                .position(|a| a.get("type") == Some(&"null".into()));
            let i = match null_alt {
                Some(n) if self.rng.chance(30) || alts.len() == 1 => n,
                Some(n) => {
                    let j = self.rng.index(alts.len() - 1);
                    if j >= n {
                        j + 1
                    } else {
                        j
                    }
                }
                None => self.rng.index(alts.len()),
            };
            return self.value(root, &alts[i], depth + 1, hint);
        }
        if let Some(e) = s.get("enum").and_then(Value::as_array) {
            if !e.is_empty() && self.rng.chance(95) {
                return self.rng.pick(e).clone();
            }
            return Value::String(self.string());
        }
        if let Some(c) = s.get("const") {
            return c.clone();
        }
        let ty: &str = match s.get("type") {
            Some(Value::String(t)) => t,
            Some(Value::Array(ts)) => {
                let non_null: Vec<&str> = ts
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|t| *t != "null")
                    .collect();
                if non_null.is_empty() || (non_null.len() < ts.len() && self.rng.chance(30)) {
                    return Value::Null;
                }
                non_null[self.rng.index(non_null.len())]
            }
            _ if s.get("properties").is_some() => "object",
            _ => return self.wild(depth),
        };
        match ty {
            "object" => self.object(root, s, depth),
            "array" => self.array(root, s, depth),
            "string" => Value::String(self.string_for(hint)),
            "integer" => self.integer(s.get("format").and_then(Value::as_str)),
            "number" => self.float(),
            "boolean" => Value::Bool(self.rng.chance(50)),
            "null" => Value::Null,
            _ => self.wild(depth),
        }
    }

    /// Types whose schema is a bare `string` but whose values have a format.
    fn named(&mut self, name: &str) -> Option<Value> {
        let s = match name {
            "Uint64" | "Timestamp" => self.uint_string(64),
            "Uint128" => self.uint_string(128),
            "Uint256" | "Uint512" => self.uint_string(256),
            "Int64" | "Int128" | "Int256" => {
                let mut s = self.uint_string(64);
                if self.rng.chance(40) {
                    s.insert(0, '-');
                }
                s
            }
            "Decimal" | "Decimal256" | "SignedDecimal" | "SignedDecimal256" => self.decimal(),
            "Binary" => self.binary(),
            "HexBinary" => self.hex(),
            "Addr" => self.address(),
            _ => return None,
        };
        Some(Value::String(s))
    }

    fn object(&mut self, root: &Value, s: &Value, depth: usize) -> Value {
        let mut m = Map::new();
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            for (k, ps) in props {
                let include = if required.contains(&k.as_str()) {
                    !self.rng.chance(2)
                } else {
                    self.rng.chance(50)
                };
                if include {
                    let v = self.value(root, ps, depth + 1, Some(k));
                    m.insert(k.clone(), v);
                }
            }
        }
        if let Some(ap) = s.get("additionalProperties").filter(|a| a.is_object()) {
            for _ in 0..self.rng.below(3) {
                let k = self.short_string();
                let v = self.value(root, ap, depth + 1, None);
                m.insert(k, v);
            }
        }
        if self.rng.chance(2) {
            let k = self.short_string();
            let v = self.wild(depth + 1);
            m.insert(k, v);
        }
        Value::Object(m)
    }

    fn array(&mut self, root: &Value, s: &Value, depth: usize) -> Value {
        let mut len = match self.rng.below(100) {
            0..=34 => self.rng.below(2),
            35..=79 => self.rng.range(1, 4),
            80..=95 => self.rng.range(5, 40),
            _ => self.rng.range(100, 300),
        } as usize;
        if depth > 6 {
            len = len.min(3);
        }
        match s.get("items") {
            Some(Value::Array(tuple)) => tuple
                .iter()
                .map(|t| self.value(root, t, depth + 1, None))
                .collect(),
            Some(items) => (0..len)
                .map(|_| self.value(root, items, depth + 1, None))
                .collect(),
            None => (0..len).map(|_| self.wild(depth + 1)).collect(),
        }
    }

    fn string_for(&mut self, hint: Option<&str>) -> String {
        match hint {
            Some(k) if is_address_key(k) && self.rng.chance(80) => self.address(),
            Some("denom") if self.rng.chance(80) => self.denom(),
            Some(k) if (k.ends_with("hash") || k == "root") && self.rng.chance(70) => self.hex(),
            _ => self.string(),
        }
    }

    pub fn denom(&mut self) -> String {
        let v = Rc::clone(&self.vocab);
        match self.rng.below(10) {
            0..=6 if !v.denoms.is_empty() => self.rng.pick(&v.denoms).clone(),
            7 => "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2".into(),
            8 => String::new(),
            _ => self.short_string(),
        }
    }

    /// Free text: known values, addresses, numbers, edge-case unicode, empty, long.
    pub fn string(&mut self) -> String {
        let v = Rc::clone(&self.vocab);
        match self.rng.below(100) {
            0..=29 if !v.strings.is_empty() => self.rng.pick(&v.strings).clone(),
            0..=39 => self.address(),
            40..=44 => self.hex(),
            45..=51 => self.uint_string(64),
            52..=59 => String::new(),
            60..=72 => self.short_string(),
            73..=82 => (0..self.rng.range(1, 4))
                .map(|_| *self.rng.pick(UNICODE))
                .collect(),
            83..=89 => {
                let unit = if self.rng.chance(50) { "a" } else { "日本" };
                unit.repeat(self.rng.range(100, 4_000) as usize)
            }
            90 => "x".repeat(self.rng.range(60_000, 70_000) as usize),
            91..=95 if !v.strings.is_empty() => {
                let s = self.rng.pick(&v.strings).clone();
                match self.rng.below(4) {
                    0 => s.to_uppercase(),
                    1 => format!(" {s}"),
                    2 => format!("{s}\u{0}"),
                    _ => s.repeat(2),
                }
            }
            _ => format!("wasm.{}", self.address()),
        }
    }

    fn short_string(&mut self) -> String {
        const A: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_-";
        let n = self.rng.range(1, 24) as usize;
        (0..n).map(|_| *self.rng.pick(A) as char).collect()
    }

    /// Mostly the world's addresses; sometimes almost one (case, checksum, length, prefix).
    pub fn address(&mut self) -> String {
        let v = Rc::clone(&self.vocab);
        if v.addresses.is_empty() {
            return self.short_string();
        }
        let a = self.rng.pick(&v.addresses).clone();
        match self.rng.below(100) {
            0..=79 => a,
            80..=89 if a.len() < 12 => a.to_uppercase(),
            80..=84 => a.to_uppercase(),
            85..=89 => {
                let mut b = a.into_bytes();
                let i = self.rng.range(9, b.len() as u64 - 1) as usize;
                b[i] = if b[i] == b'q' { b'p' } else { b'q' };
                String::from_utf8(b).unwrap_or_default()
            }
            90..=92 => a[..self.rng.index(a.len())].to_string(),
            93..=94 => String::new(),
            95..=96 => format!("osmo1{}", &a[a.find('1').map_or(0, |i| i + 1)..]),
            97 => format!("{a} "),
            _ => self.short_string(),
        }
    }

    pub fn hex(&mut self) -> String {
        let v = Rc::clone(&self.vocab);
        match self.rng.below(100) {
            0..=54 if !v.hex.is_empty() => self.rng.pick(&v.hex).clone(),
            0..=69 => hex_of(&self.rng.bytes(32)),
            70..=79 => {
                let n = self.rng.below(80) as usize;
                hex_of(&self.rng.bytes(n))
            }
            80..=84 => String::new(),
            85..=89 => hex_of(&self.rng.bytes(32)).to_uppercase(),
            _ => (*self.rng.pick(&["zz", "0", "abc", "0x00", " 00", "0g"])).to_string(),
        }
    }

    /// Base64: often of another generated message (see [`Vocab::nested`]), of a known key or
    /// signature, of random bytes; sometimes empty or not base64.
    pub fn binary(&mut self) -> String {
        let v = Rc::clone(&self.vocab);
        let bytes = match self.rng.below(100) {
            0..=39 if self.nest < MAX_NEST && !v.nested.is_empty() => {
                let n = self.rng.pick(&v.nested);
                self.nest += 1;
                let msg = if !n.templates.is_empty() && self.rng.chance(50) {
                    let t = self.rng.pick(&n.templates);
                    if self.rng.chance(40) {
                        t.clone()
                    } else {
                        self.mutate(&n.schema, t)
                    }
                } else {
                    self.message(&n.schema)
                };
                self.nest -= 1;
                let bytes = serde_json::to_vec(&msg).unwrap_or_default();
                if self.rng.chance(10) {
                    self.mutate_bytes(bytes, &[])
                } else {
                    bytes
                }
            }
            0..=54 if !v.binaries.is_empty() => self.rng.pick(&v.binaries).clone(),
            0..=74 => {
                let n = self.rng.below(97) as usize;
                self.rng.bytes(n)
            }
            75..=84 => serde_json::to_vec(&self.wild(4)).unwrap_or_default(),
            85..=92 => vec![],
            _ => return (*self.rng.pick(BAD_BASE64)).to_string(),
        };
        Binary::new(bytes).to_base64()
    }

    /// A decimal string for a `bits`-bit unsigned (`Uint64`, `Uint128`, ...).
    pub fn uint_string(&mut self, bits: u32) -> String {
        let max: u128 = if bits >= 128 {
            u128::MAX
        } else {
            (1u128 << bits) - 1
        };
        let v = Rc::clone(&self.vocab);
        match self.rng.below(100) {
            0..=34 => self.rng.below(21).to_string(),
            35..=54 if !v.numbers.is_empty() => {
                let n = *self.rng.pick(&v.numbers);
                n.min(max).to_string()
            }
            35..=74 => {
                let edges = [
                    0,
                    1,
                    2,
                    max,
                    max - 1,
                    1_000_000,
                    1_000_000_000_000_000_000,
                    u64::MAX as u128,
                    u64::MAX as u128 + 1,
                    1 << 127,
                    10_000,
                    10_001,
                ];
                self.rng.pick(&edges).min(&max).to_string()
            }
            75..=89 => {
                let bitlen = self.rng.range(1, bits.min(128) as u64) as u32;
                let r = (self.rng.next_u64() as u128) << 64 | self.rng.next_u64() as u128;
                let r = if bitlen >= 128 {
                    r
                } else {
                    r & ((1u128 << bitlen) - 1)
                };
                r.min(max).to_string()
            }
            _ => (*self.rng.pick(BAD_UINTS)).to_string(),
        }
    }

    fn decimal(&mut self) -> String {
        if self.rng.chance(70) {
            (*self.rng.pick(DECIMALS)).to_string()
        } else {
            format!("{}.{}", self.rng.below(1_000), self.rng.below(1_000_000))
        }
    }

    fn integer(&mut self, format: Option<&str>) -> Value {
        let (min, max): (i128, i128) = match format {
            Some("uint8") => (0, u8::MAX as i128),
            Some("uint16") => (0, u16::MAX as i128),
            Some("uint32") => (0, u32::MAX as i128),
            Some("int8") => (i8::MIN as i128, i8::MAX as i128),
            Some("int16") => (i16::MIN as i128, i16::MAX as i128),
            Some("int32") => (i32::MIN as i128, i32::MAX as i128),
            Some("int64") => (i64::MIN as i128, i64::MAX as i128),
            _ => (0, u64::MAX as i128),
        };
        let v = Rc::clone(&self.vocab);
        let n: i128 = match self.rng.below(100) {
            0..=44 => self.rng.below(13) as i128,
            45..=59 if !v.numbers.is_empty() => (*self.rng.pick(&v.numbers) as i128).min(max),
            45..=79 => {
                let edges: [i128; 14] = [
                    0,
                    1,
                    max,
                    max - 1,
                    min,
                    u32::MAX as i128,
                    1 << 32,
                    1 << 53,
                    10_000,
                    10_001,
                    9_999,
                    86_400,
                    1 << 20,
                    u64::MAX as i128,
                ];
                let e = *self.rng.pick(&edges);
                e.clamp(min, max)
            }
            80..=89 => {
                let span = (max - min) as u128;
                let r = (self.rng.next_u64() as u128) % span.max(1);
                min + r as i128
            }
            90..=94 => {
                if self.rng.chance(50) {
                    max + 1
                } else {
                    min - 1
                }
            }
            _ => {
                return match self.rng.below(4) {
                    0 => Number::from_f64(1.5).map_or(Value::Null, Value::Number),
                    1 => Number::from_f64(1e30).map_or(Value::Null, Value::Number),
                    2 => Value::String(self.rng.below(10).to_string()),
                    _ => Number::from_f64(-0.0).map_or(Value::Null, Value::Number),
                }
            }
        };
        int_value(n)
    }

    fn float(&mut self) -> Value {
        let f = *self
            .rng
            .pick(&[0.0, 0.5, -1.0, 1e308, 3.0, f64::MIN_POSITIVE]);
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }

    /// Any JSON value, of any type: what a confused or hostile client might send.
    pub fn wild(&mut self, depth: usize) -> Value {
        match self.rng.below(10) {
            0 => Value::Null,
            1 => Value::Bool(self.rng.chance(50)),
            2 => int_value(self.rng.below(1_000) as i128),
            3 => int_value(-(self.rng.below(1_000) as i128) - 1),
            4 => Value::String(self.string()),
            5 => Value::Array(vec![]),
            6 => Value::Object(Map::new()),
            7 if depth < MAX_DEPTH => (0..self.rng.range(1, 3))
                .map(|_| self.wild(depth + 1))
                .collect(),
            8 if depth < MAX_DEPTH => {
                let mut m = Map::new();
                let k = self.short_string();
                m.insert(k, self.wild(depth + 1));
                Value::Object(m)
            }
            _ => Value::String(self.uint_string(128)),
        }
    }

    /// A value near `cur`: ±1, 0, doubled, max; another address; a flipped hex digit; an
    /// array with an element dropped or repeated; an object with a key dropped or added.
    pub fn tweak(&mut self, cur: Value, hint: Option<&str>) -> Value {
        match cur {
            Value::Null => self.wild(2),
            Value::Bool(b) => Value::Bool(!b),
            Value::Number(n) => match n.as_u64() {
                Some(u) if self.rng.chance(90) => {
                    let c = [
                        u.wrapping_add(1),
                        u.saturating_sub(1),
                        0,
                        u.saturating_mul(2),
                        u64::MAX,
                        u.saturating_add(1_000),
                        u / 2,
                        u.wrapping_sub(1),
                    ];
                    Value::Number((*self.rng.pick(&c)).into())
                }
                Some(u) => Value::String(u.to_string()),
                None => int_value(-1),
            },
            Value::String(s) => Value::String(self.tweak_string(s, hint)),
            Value::Array(mut a) => {
                match self.rng.below(5) {
                    0 if !a.is_empty() => {
                        a.remove(self.rng.index(a.len()));
                    }
                    1 if !a.is_empty() => {
                        let i = self.rng.index(a.len());
                        a.insert(i, a[i].clone());
                    }
                    2 => a.clear(),
                    3 => a.reverse(),
                    _ if !a.is_empty() => {
                        let e = a[self.rng.index(a.len())].clone();
                        let n = self.rng.range(2, 300) as usize;
                        a.extend(std::iter::repeat_n(e, n));
                    }
                    _ => a.push(self.wild(3)),
                }
                Value::Array(a)
            }
            Value::Object(mut m) => {
                if !m.is_empty() && self.rng.chance(50) {
                    let k = m.keys().nth(self.rng.index(m.len())).cloned();
                    if let Some(k) = k {
                        m.remove(&k);
                    }
                } else {
                    let k = self.short_string();
                    m.insert(k, self.wild(3));
                }
                Value::Object(m)
            }
        }
    }

    fn tweak_string(&mut self, s: String, hint: Option<&str>) -> String {
        if let Ok(n) = s.parse::<u128>() {
            return match self.rng.below(9) {
                0 => n.wrapping_add(1).to_string(),
                1 => n.wrapping_sub(1).to_string(),
                2 => "0".into(),
                3 => n.saturating_mul(10).to_string(),
                4 => n.saturating_mul(1_000_000).to_string(),
                5 => u128::MAX.to_string(),
                6 => format!("-{n}"),
                7 => format!("{n}.0"),
                _ => self.uint_string(128),
            };
        }
        let v = Rc::clone(&self.vocab);
        if v.addresses.contains(&s) || hint.is_some_and(is_address_key) {
            return self.address();
        }
        if is_hex(&s) {
            let mut b = s.into_bytes();
            match self.rng.below(4) {
                0 => {
                    let i = self.rng.index(b.len());
                    b[i] = if b[i] == b'0' { b'1' } else { b'0' };
                }
                1 => {
                    b.pop();
                }
                2 => b.extend_from_slice(b"00"),
                _ => return self.hex(),
            }
            return String::from_utf8(b).unwrap_or_default();
        }
        match self.rng.below(6) {
            0 => format!("{s}{}", self.rng.pick(UNICODE)),
            1 => s
                .chars()
                .take(self.rng.index(s.chars().count() + 1))
                .collect(),
            2 => String::new(),
            3 => s
                .repeat(self.rng.range(2, 2_000) as usize)
                .chars()
                .take(70_000)
                .collect(),
            4 => s.to_uppercase(),
            _ => self.string(),
        }
    }

    /// Byte-level damage to serialized JSON: bit flips, structural characters, insertions,
    /// deletions, duplicated ranges, truncation, splices with `pool`, duplicate keys, deep
    /// nesting, trailing garbage. One to four edits.
    pub fn mutate_bytes(&mut self, mut b: Vec<u8>, pool: &[Vec<u8>]) -> Vec<u8> {
        const STRUCT: &[u8] = b"{}[]\":,\\0-+.eE \n\t\xff\x00";
        const TOKENS: &[&str] = &[
            "null",
            "true",
            "1e999",
            "-0",
            "\"\"",
            "{}",
            "[]",
            "\"\\u0000\"",
            "\"\\ud800\"",
            "NaN",
            "18446744073709551616",
            "-1",
            "\"\\\"",
        ];
        for _ in 0..self.rng.range(1, 4) {
            let len = b.len();
            match self.rng.below(11) {
                0 if len > 0 => {
                    let i = self.rng.index(len);
                    b[i] ^= 1 << self.rng.below(8);
                }
                1 if len > 0 => {
                    let i = self.rng.index(len);
                    b[i] = *self.rng.pick(STRUCT);
                }
                2 => {
                    let i = self.rng.index(len + 1);
                    let ins: Vec<u8> = if self.rng.chance(50) {
                        self.rng.pick(TOKENS).as_bytes().to_vec()
                    } else {
                        let n = self.rng.range(1, 8) as usize;
                        self.rng.bytes(n)
                    };
                    b.splice(i..i, ins);
                }
                3 if len > 1 => {
                    let i = self.rng.index(len);
                    let n = self.rng.range(1, (len as u64 / 4).max(1)) as usize;
                    b.drain(i..(i + n).min(len));
                }
                4 if len > 1 => {
                    let i = self.rng.index(len);
                    let j = (i + self.rng.range(1, 64) as usize).min(len);
                    let chunk = b[i..j].to_vec();
                    let at = self.rng.index(len + 1);
                    b.splice(at..at, chunk);
                }
                5 if len > 0 => b.truncate(self.rng.index(len)),
                6 if !pool.is_empty() => {
                    let other = self.rng.pick(pool);
                    let i = self.rng.index(len + 1);
                    let j = self.rng.index(other.len() + 1);
                    b.truncate(i);
                    b.extend_from_slice(&other[j..]);
                }
                7 => self.duplicate_key(&mut b),
                8 => {
                    let k = self.rng.range(100, 200) as usize;
                    let mut deep = b"[".repeat(k);
                    deep.extend_from_slice(&b);
                    deep.extend_from_slice(&b"]".repeat(k));
                    b = deep;
                }
                9 => {
                    let t = self.rng.pick(TOKENS).as_bytes();
                    b.extend_from_slice(t);
                }
                _ => self.duplicate_key(&mut b),
            }
        }
        b
    }

    /// Repeats a key of the message inside the object that holds it: `{"k":1,...}` →
    /// `{"k":<other>,"k":1,...}`.
    fn duplicate_key(&mut self, b: &mut Vec<u8>) {
        // positions of `"key":` (quote index, key bytes)
        let mut keys: Vec<(usize, Vec<u8>)> = Vec::new();
        let mut i = 0;
        while i < b.len() && keys.len() < 256 {
            if b[i] == b'"' {
                if let Some(end) = b[i + 1..].iter().position(|&c| c == b'"') {
                    let end = i + 1 + end;
                    if b.get(end + 1) == Some(&b':') {
                        keys.push((i, b[i + 1..end].to_vec()));
                    }
                    i = end + 1;
                    continue;
                }
            }
            i += 1;
        }
        if keys.is_empty() {
            return;
        }
        let (at, key) = self.rng.pick(&keys).clone();
        let Some(open) = b[..at].iter().rposition(|&c| c == b'{') else {
            return;
        };
        let value = serde_json::to_vec(&self.wild(6)).unwrap_or_default();
        let mut ins = Vec::with_capacity(key.len() + value.len() + 4);
        ins.push(b'"');
        ins.extend_from_slice(&key);
        ins.extend_from_slice(b"\":");
        ins.extend_from_slice(&value);
        ins.push(b',');
        b.splice(open + 1..open + 1, ins);
    }
}

fn int_value(n: i128) -> Value {
    if let Ok(u) = u64::try_from(n) {
        Value::Number(u.into())
    } else if let Ok(i) = i64::try_from(n) {
        Value::Number(i.into())
    } else {
        Number::from_f64(n as f64).map_or(Value::Null, Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_schema::cw_serde;
    use cosmwasm_std::{HexBinary, Uint128};

    #[cw_serde]
    enum Inner {
        Ping {},
    }

    #[cw_serde]
    enum Msg {
        Transfer {
            recipient: String,
            amount: Uint128,
        },
        Commit {
            job_id: u64,
            commitment: HexBinary,
            note: Option<String>,
        },
        Carry {
            msg: Binary,
        },
        List {
            ids: Vec<u32>,
        },
        Nothing {},
    }

    fn schema<T: cosmwasm_schema::schemars::JsonSchema>() -> Value {
        let mut v = serde_json::to_value(cosmwasm_schema::schema_for!(T)).unwrap();
        strip_descriptions(&mut v);
        v
    }

    fn gen(seed: u64) -> Gen {
        let mut vocab = Vocab::new();
        vocab.addresses = vec![cosmwasm_std::testing::MockApi::default()
            .addr_make("alice")
            .to_string()];
        vocab.nested = vec![Nested {
            schema: Rc::new(schema::<Inner>()),
            templates: vec![],
        }];
        Gen::new(Rng::new(seed), vocab)
    }

    #[test]
    fn generated_messages_reach_every_variant_and_mostly_parse() {
        let root = schema::<Msg>();
        let mut g = gen(1);
        let mut parsed = 0;
        let mut variants = std::collections::BTreeSet::new();
        let mut nested_ok = 0;
        for _ in 0..4_000 {
            let v = g.message(&root);
            let bytes = serde_json::to_vec(&v).unwrap();
            if let Ok(m) = cosmwasm_std::from_json::<Msg>(&bytes) {
                parsed += 1;
                if let Msg::Carry { msg } = &m {
                    nested_ok += usize::from(cosmwasm_std::from_json::<Inner>(msg).is_ok());
                }
                variants.insert(
                    format!("{m:?}")
                        .split([' ', '{'])
                        .next()
                        .unwrap()
                        .to_string(),
                );
            }
        }
        assert_eq!(variants.len(), 5, "{variants:?}");
        assert!((1_000..3_900).contains(&parsed), "{parsed} of 4000 parse");
        assert!(nested_ok > 20, "{nested_ok} nested messages parse");
    }

    #[test]
    fn same_seed_same_messages_and_mutations_stay_close() {
        let root = schema::<Msg>();
        let (mut a, mut b) = (gen(9), gen(9));
        let t = serde_json::to_value(Msg::Commit {
            job_id: 3,
            commitment: HexBinary::from(vec![1u8; 32]),
            note: None,
        })
        .unwrap();
        let mut still_commit = 0;
        for _ in 0..500 {
            assert_eq!(a.message(&root), b.message(&root));
            let (ma, mb) = (a.mutate(&root, &t), b.mutate(&root, &t));
            assert_eq!(ma, mb);
            still_commit += usize::from(ma.get("commit").is_some());
            let bytes = serde_json::to_vec(&ma).unwrap();
            assert_eq!(
                a.mutate_bytes(bytes.clone(), &[]),
                b.mutate_bytes(bytes, &[])
            );
        }
        assert!(still_commit > 350, "{still_commit}");
    }

    #[test]
    fn schema_paths_resolve_through_variants_and_refs() {
        let root = schema::<Msg>();
        let p = [Seg::Key("commit".into()), Seg::Key("commitment".into())];
        let s = schema_at(&root, &p).unwrap();
        assert_eq!(
            s.get("$ref").and_then(Value::as_str),
            Some("#/definitions/HexBinary")
        );
        let p = [
            Seg::Key("list".into()),
            Seg::Key("ids".into()),
            Seg::Index(4),
        ];
        assert_eq!(
            schema_at(&root, &p).and_then(|s| s.get("format")),
            Some(&Value::from("uint32"))
        );
        assert!(schema_at(&root, &[Seg::Key("nope".into())]).is_none());
    }

    #[test]
    fn duplicate_keys_are_produced() {
        let mut g = gen(5);
        let mut dup = 0;
        for _ in 0..200 {
            let mut b = br#"{"transfer":{"recipient":"x","amount":"1"}}"#.to_vec();
            g.duplicate_key(&mut b);
            let s = String::from_utf8_lossy(&b).to_string();
            dup += usize::from(
                ["recipient", "amount", "transfer"]
                    .iter()
                    .any(|k| s.matches(&format!("\"{k}\":")).count() > 1),
            );
        }
        assert!(dup > 150, "{dup}");
    }
}
