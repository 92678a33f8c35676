//! IPFS as the content network: a kubo daemon reached through its HTTP RPC (`/api/v0/...`, all
//! POST), and the CIDs content is named by there.
//!
//! Content is added as CIDv1 with raw leaves, sha2-256 and fixed 1 MiB chunks (the block size
//! every bitswap peer accepts), so content of one chunk or less is a single raw block whose CID is the sha256 the chain records, written in
//! another alphabet ([`Cid::raw`]): it can be computed from the hash alone and checked before
//! anything is fetched. Larger content has a dag-pb root whose digest is of the DAG, not of
//! the bytes; it is found by the `ipfs://<cid>` a contribution records and checked once read.
//! Nothing here trusts the daemon: readers (the attester's content store, the CLI) check every
//! byte it returns against the chain's sha256.

use std::fmt;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sha2::{Digest, Sha256};

use crate::error::{IpfsError, Result};

/// The chunk size content is added with: content of at most this many bytes is one raw block.
pub const BLOCK_SIZE: u64 = 1 << 20;
/// Multicodec of a raw block (the bytes themselves).
const RAW: u64 = 0x55;
/// Multicodec of a UnixFS dag-pb node (the root of chunked content).
const DAG_PB: u64 = 0x70;
/// Multihash code of sha2-256.
const SHA2_256: u64 = 0x12;
/// Attempts of a call the daemon did not answer (refused connection, reset); answers are final.
const ATTEMPTS: u32 = 3;
/// RFC 4648's base32 alphabet, lowercase (multibase `b`).
const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A CIDv1 with a sha2-256 multihash, of a raw block or a dag-pb root: the only CIDs content
/// is added as here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cid {
    codec: u64,
    digest: [u8; 32],
}

impl Cid {
    /// The CID of content that is one raw block: its digest is the content's sha256.
    pub fn raw(sha256: [u8; 32]) -> Self {
        Cid {
            codec: RAW,
            digest: sha256,
        }
    }

    /// For a raw block, the sha256 of the content it names; `None` for a dag-pb root (the
    /// content is known only once read).
    pub fn content_sha256(&self) -> Option<[u8; 32]> {
        (self.codec == RAW).then_some(self.digest)
    }

    /// The CID to fetch content named by `sha256` (and, for a contribution, its `uri`) with: the
    /// uri's when it is an `ipfs://` CID that can name these bytes, else the single raw block
    /// the sha256 itself names (content of at most [`BLOCK_SIZE`] bytes, added as this project
    /// adds it). A uri that cannot be right is ignored rather than trusted: the hash decides.
    pub fn for_content(sha256: [u8; 32], uri: Option<&str>) -> Self {
        match uri.and_then(Cid::from_uri) {
            Some(Ok(cid)) if cid.content_sha256().is_none_or(|d| d == sha256) => cid,
            _ => Cid::raw(sha256),
        }
    }

    /// `ipfs://<cid>` as contributions record it; `None` for a uri of another scheme.
    pub fn from_uri(uri: &str) -> Option<std::result::Result<Self, String>> {
        let rest = uri.strip_prefix("ipfs://")?;
        Some(Cid::parse(rest).map_err(|e| format!("uri {uri:?}: {e}")))
    }

    /// `ipfs://<cid>`.
    pub fn uri(&self) -> String {
        format!("ipfs://{self}")
    }

    /// A CIDv1 in multibase base32 (`b…`, kubo's default for v1).
    pub fn parse(s: &str) -> std::result::Result<Self, String> {
        if s.starts_with("Qm") {
            return Err("a CIDv0; content is named by CIDv1 (add with --cid-version 1)".into());
        }
        let body = s
            .strip_prefix('b')
            .ok_or_else(|| format!("{s:?} is not a base32 CIDv1 (b…)"))?;
        let bytes = base32_decode(body).ok_or_else(|| format!("{s:?} is not valid base32"))?;
        let mut rest = bytes.as_slice();
        let mut next =
            |what: &str| read_varint(&mut rest).ok_or_else(|| format!("{s:?}: truncated {what}"));
        let version = next("version")?;
        let codec = next("codec")?;
        let hash = next("multihash code")?;
        let len = next("digest length")?;
        if version != 1 {
            return Err(format!("{s:?} is CID version {version}, not 1"));
        }
        if codec != RAW && codec != DAG_PB {
            return Err(format!(
                "{s:?} has codec {codec:#x}; content is raw (0x55) or dag-pb (0x70)"
            ));
        }
        if hash != SHA2_256 || len != 32 {
            return Err(format!(
                "{s:?} is not hashed with sha2-256 (multihash {hash:#x}, {len} bytes)"
            ));
        }
        let digest: [u8; 32] = rest
            .try_into()
            .map_err(|_| format!("{s:?}: a {}-byte digest, not 32", rest.len()))?;
        Ok(Cid { codec, digest })
    }

    fn to_bytes(self) -> Vec<u8> {
        // Every varint here is below 0x80: one byte each.
        let mut out = vec![1, self.codec as u8, SHA2_256 as u8, 32];
        out.extend_from_slice(&self.digest);
        out
    }
}

impl fmt::Display for Cid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b{}", base32_encode(&self.to_bytes()))
    }
}

/// RFC 4648 base32, lowercase, unpadded (multibase `b`). Hand-written: CIDs need only this and
/// an unsigned varint, and no CID or multibase crate is in the tree.
fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = BASE32.iter().position(|&a| a == c)? as u32;
        acc = ((acc << 5) | v) & 0xffff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    // Leftover bits are padding and must be zero (one spelling per CID).
    (bits < 5 && acc & ((1 << bits) - 1) == 0).then_some(out)
}

fn read_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for i in 0..9 {
        let (&b, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// What a fetch found.
#[derive(Debug)]
pub enum Fetched {
    Bytes(Vec<u8>),
    /// No peer gave the content within the timeout: unavailable, for now.
    NotFound(String),
    /// More than the limit: refused after `limit + 1` bytes, the rest unread.
    TooLarge,
}

/// A kubo daemon's HTTP RPC.
#[derive(Clone)]
pub struct Ipfs {
    url: String,
    client: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl fmt::Debug for Ipfs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ipfs")
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Ipfs {
    /// `url` is the RPC's base, e.g. `http://127.0.0.1:5001`; `timeout` bounds each call, and
    /// is how long a fetch looks for content before calling it unavailable.
    pub fn new(url: &str, timeout: Duration) -> Result<Self> {
        let url = url.trim_end_matches('/').to_string();
        let bad = |message: String| IpfsError {
            url: url.clone(),
            message,
        };
        let uri: hyper::Uri = url.parse().map_err(|e| bad(format!("invalid URL: {e}")))?;
        // kubo's RPC is plain HTTP and grants full control of the node: it belongs on a
        // loopback or private address, never behind TLS on the open internet.
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(bad("the kubo RPC URL must be http://HOST:PORT".into()));
        }
        if uri.path() != "/" && !uri.path().is_empty() {
            return Err(bad(
                "the kubo RPC URL must have no path (…/api/v0 is added)".into(),
            ));
        }
        if timeout.is_zero() {
            return Err(bad("the timeout must be more than zero".into()));
        }
        Ok(Ipfs {
            client: Client::builder(TokioExecutor::new()).build_http(),
            url,
            timeout,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn err(&self, message: impl Into<String>) -> IpfsError {
        IpfsError {
            url: self.url.clone(),
            message: message.into(),
        }
    }

    /// One POST to `/api/v0/{call}`: the response, once the daemon answered. Only a daemon that
    /// did not answer is asked again (bounded); the caller reads the body under its own
    /// deadline.
    async fn post(
        &self,
        call: &str,
        content_type: Option<&str>,
        body: Bytes,
    ) -> Result<hyper::Response<hyper::body::Incoming>> {
        let uri = format!("{}/api/v0/{call}", self.url);
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(250 << attempt)).await;
            }
            let mut request = hyper::Request::post(&uri);
            if let Some(ct) = content_type {
                request = request.header(hyper::header::CONTENT_TYPE, ct);
            }
            let request = request
                .body(Full::new(body.clone()))
                .map_err(|e| self.err(e.to_string()))?;
            match tokio::time::timeout(self.timeout, self.client.request(request)).await {
                Ok(Ok(response)) => return Ok(response),
                Ok(Err(e)) => last = crate::error::error_chain(&e),
                Err(_) => {
                    return Err(self.err(format!("{call}: no answer within {:?}", self.timeout)))
                }
            }
        }
        Err(self.err(format!(
            "{call}: {last} ({ATTEMPTS} attempts; is the daemon running?)"
        )))
    }

    /// The body of an answer, at most `limit` bytes (`None` past it, the rest unread), within
    /// the timeout.
    async fn read(
        &self,
        call: &str,
        body: hyper::body::Incoming,
        limit: u64,
    ) -> Result<Option<Vec<u8>>> {
        let read = async {
            let mut body = body;
            let mut out = Vec::new();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| self.err(format!("{call}: {e}")))?;
                if let Some(trailers) = frame.trailers_ref() {
                    // kubo reports an error met mid-stream in this trailer (the status was
                    // already sent).
                    if let Some(e) = trailers.get("X-Stream-Error") {
                        return Err(
                            self.err(format!("{call}: {}", String::from_utf8_lossy(e.as_bytes())))
                        );
                    }
                }
                if let Ok(data) = frame.into_data() {
                    if out.len() as u64 + data.len() as u64 > limit {
                        return Ok(None);
                    }
                    out.extend_from_slice(&data);
                }
            }
            Ok(Some(out))
        };
        tokio::time::timeout(self.timeout, read)
            .await
            .map_err(|_| {
                self.err(format!(
                    "{call}: answer not complete within {:?}",
                    self.timeout
                ))
            })?
    }

    /// A call answered in JSON.
    async fn json(
        &self,
        call: &str,
        content_type: Option<&str>,
        body: Bytes,
    ) -> Result<serde_json::Value> {
        let response = self.post(call, content_type, body).await?;
        let status = response.status();
        let bytes = self
            .read(call, response.into_body(), 1 << 20)
            .await?
            .ok_or_else(|| self.err(format!("{call}: answer over 1 MiB")))?;
        if !status.is_success() {
            return Err(self.err(format!("{call}: {status}: {}", message(&bytes))));
        }
        // `add` streams one JSON object per line; the last names the root.
        let last = bytes
            .split(|&b| b == b'\n')
            .rfind(|l| !l.iter().all(u8::is_ascii_whitespace))
            .unwrap_or_default();
        serde_json::from_slice(last)
            .map_err(|_| self.err(format!("{call}: not JSON: {}", message(&bytes))))
    }

    /// The daemon's peer id (`/api/v0/id`): a cheap check that it answers.
    pub async fn id(&self) -> Result<String> {
        let v = self.json("id", None, Bytes::new()).await?;
        v["ID"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| self.err("id: no ID in the answer"))
    }

    /// Adds `bytes` and pins them; returns their CID. A single block's CID must be the one the
    /// bytes' sha256 gives: a daemon adding with other settings is refused, since the CID it
    /// gave would not match what the chain records.
    pub async fn add(&self, bytes: &[u8]) -> Result<Cid> {
        let sha: [u8; 32] = Sha256::digest(bytes).into();
        // The boundary holds the bytes' own hex sha256, which no content can contain (it would
        // have to include its own hash).
        let boundary = format!("openledger-{}", hex::encode(sha));
        let mut body = Vec::with_capacity(bytes.len() + 256);
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
                 filename=\"content\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let call = format!(
            "add?cid-version=1&raw-leaves=true&hash=sha2-256&chunker=size-{BLOCK_SIZE}\
             &pin=true&progress=false&quieter=true"
        );
        let v = self
            .json(
                &call,
                Some(&format!("multipart/form-data; boundary={boundary}")),
                Bytes::from(body),
            )
            .await?;
        let hash = v["Hash"]
            .as_str()
            .ok_or_else(|| self.err(format!("add: no Hash in {v}")))?;
        let cid = Cid::parse(hash).map_err(|e| self.err(format!("add: {e}")))?;
        let single = bytes.len() as u64 <= BLOCK_SIZE;
        match cid.content_sha256() {
            Some(d) if single && d == sha => Ok(cid),
            None if !single => Ok(cid),
            _ => Err(self.err(format!(
                "add: {} bytes came back as {cid}, not as the {} their sha256 names \
                 (the daemon ignored cid-version=1 / raw-leaves / the chunker?)",
                bytes.len(),
                if single { "raw block" } else { "dag-pb root" }
            ))),
        }
    }

    /// Pins `cid` on this daemon (fetching it if needed): it keeps and provides it.
    pub async fn pin(&self, cid: &Cid) -> Result<()> {
        let call = format!("pin/add?arg={cid}&timeout={}ms", self.timeout.as_millis());
        self.json(&call, None, Bytes::new()).await.map(|_| ())
    }

    /// The content `cid` names, at most `limit` bytes, from this daemon or its peers. Content no
    /// peer gives within the timeout is [`Fetched::NotFound`]; the bytes are NOT checked here.
    pub async fn cat(&self, cid: &Cid, limit: u64) -> Result<Fetched> {
        // The daemon stops looking at its own deadline (an answer saying so), a little before
        // ours, and sends at most one byte past the limit.
        let look = self
            .timeout
            .saturating_sub(Duration::from_millis(500))
            .max(Duration::from_millis(100));
        let call = format!(
            "cat?arg={cid}&length={}&timeout={}ms",
            limit.saturating_add(1),
            look.as_millis()
        );
        let response = self.post(&call, None, Bytes::new()).await?;
        let status = response.status();
        if !status.is_success() {
            let bytes = self
                .read("cat", response.into_body(), 64 << 10)
                .await?
                .unwrap_or_default();
            let m = message(&bytes);
            if m.contains("deadline exceeded") || m.contains("not found") {
                return Ok(Fetched::NotFound(format!("{cid} via {}: {m}", self.url)));
            }
            return Err(self.err(format!("cat {cid}: {status}: {m}")));
        }
        match self.read("cat", response.into_body(), limit).await {
            Ok(Some(bytes)) => Ok(Fetched::Bytes(bytes)),
            Ok(None) => Ok(Fetched::TooLarge),
            // Blocks that stop coming mid-stream are unavailable content, not a broken daemon.
            Err(IpfsError { message, .. })
                if message.contains("deadline exceeded") || message.contains("not complete") =>
            {
                Ok(Fetched::NotFound(format!(
                    "{cid} via {}: {message}",
                    self.url
                )))
            }
            Err(e) => Err(e),
        }
    }
}

/// kubo's error answer (`{"Message": …}`), or the start of whatever came.
fn message(bytes: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| v["Message"].as_str().map(str::to_string))
        .unwrap_or_else(|| String::from_utf8_lossy(bytes).chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_cid_is_the_sha256_in_base32_and_parses_back() {
        // kubo: `printf '' | ipfs add --cid-version 1 --raw-leaves -q`
        let empty: [u8; 32] = Sha256::digest(b"").into();
        let cid = Cid::raw(empty);
        assert_eq!(
            cid.to_string(),
            "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
        );
        assert_eq!(Cid::parse(&cid.to_string()), Ok(cid));
        assert_eq!(cid.content_sha256(), Some(empty));
        assert_eq!(Cid::from_uri(&cid.uri()).and_then(|r| r.ok()), Some(cid));
        assert!(Cid::from_uri("content://sha256/00").is_none());
    }

    #[test]
    fn dag_pb_roots_parse_without_a_content_hash_and_bad_cids_are_named() {
        // The well-known empty UnixFS directory, as CIDv1.
        let dir = "bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354";
        let cid = Cid::parse(dir).unwrap();
        assert_eq!(cid.content_sha256(), None);
        assert_eq!(cid.to_string(), dir);
        let spell = |bytes: &[u8]| format!("b{}", base32_encode(bytes));
        let mut blake2b = vec![1, 0x55, 0xa0, 0xe4, 0x02, 32];
        blake2b.extend_from_slice(&[7; 32]);
        let mut short = Cid::raw([7; 32]).to_bytes();
        short.pop();
        let mut v0 = Cid::raw([7; 32]).to_bytes();
        v0[0] = 0;
        let mut cbor = Cid::raw([7; 32]).to_bytes();
        cbor[1] = 0x71;
        for (bad, why) in [
            (
                "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn".to_string(),
                "CIDv0",
            ),
            (
                "zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA".into(),
                "base32",
            ),
            ("bafkrei!".into(), "base32"),
            (spell(&short), "31-byte digest"),
            (spell(&v0), "version 0"),
            (spell(&cbor), "codec 0x71"),
            (spell(&blake2b), "sha2-256"),
        ] {
            let e = Cid::parse(&bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert!(Cid::from_uri("ipfs://nonsense").unwrap().is_err());
    }

    #[test]
    fn base32_round_trips_every_length() {
        for n in 0..12u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(base32_decode(&base32_encode(&bytes)), Some(bytes));
        }
        // non-zero padding bits: another spelling of the same bytes is refused
        assert_eq!(base32_decode("ab"), None);
    }

    #[test]
    fn only_plain_http_urls_are_accepted() {
        let t = Duration::from_secs(1);
        assert!(Ipfs::new("http://127.0.0.1:5001/", t).is_ok());
        for bad in [
            "https://127.0.0.1:5001",
            "127.0.0.1:5001",
            "http://h:1/api/v0",
        ] {
            assert!(matches!(Ipfs::new(bad, t), Err(IpfsError { .. })), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_daemon_that_is_down_is_a_clear_error() {
        // A port nothing listens on: bind, note it, close.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let ipfs = Ipfs::new(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2)).unwrap();
        let e = ipfs.cat(&Cid::raw([0; 32]), 10).await.unwrap_err();
        assert!(matches!(e, IpfsError { .. }), "{e}");
        assert!(e.to_string().contains("is the daemon running"), "{e}");
    }
}
