//! The serving engine: loaded models ([`Model`]) and worker threads that run every admitted
//! sequence a step at a time, round-robin (a prompt chunk of [`PREFILL_CHUNK`] tokens, or one
//! new token), so 16 clients on 2 cores all see tokens flowing instead of 14 of them waiting
//! for the first two to finish. Weights are loaded once per model for the fast CPU decoder
//! (quantised, multi-threaded; the f32 reference with [`Model::load_with`]) and shared; each
//! sequence owns only its KV cache, sized to its prompt plus `max_tokens`.
//!
//! Each request gets a channel of [`Event`]s. A client that goes away drops its receiver; the
//! worker sees the closed channel before its next step and stops decoding.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use gpu_oracle::llm::gguf::{Gguf, MetaValue};
use gpu_oracle::llm::sample::Sampler;
use gpu_oracle::llm::tokenizer::TextStream;
use gpu_oracle::llm::{CpuKind, CpuWeights, Decoder, LlamaWeights, Sampling, Tokenizer};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::metrics::Metrics;
use crate::template::{ChatTemplate, CHATML};

/// Prompt tokens run per step: long prompts cannot stall the other sequences of a worker.
pub const PREFILL_CHUNK: usize = 16;

/// Token texts that end an answer in the chat templates of common models, besides the
/// GGUF's EOS (e.g. SmolLM2's `<|im_end|>`, Llama 3's `<|eot_id|>`).
const END_TOKENS: [&str; 5] = [
    "<|im_end|>",
    "<|eot_id|>",
    "<|end|>",
    "<|endoftext|>",
    "</s>",
];

/// A model kept loaded.
pub struct Model {
    /// The id clients name in `model`.
    pub name: String,
    /// Its id in the on-chain model registry, when registered.
    pub registry_id: Option<u64>,
    /// sha256 of the GGUF file: what jobs and the registry name the model by.
    pub file_hash: [u8; 32],
    pub tokenizer: Tokenizer,
    pub template: ChatTemplate,
    /// Most positions (prompt + answer) one sequence may use here.
    pub context: usize,
    /// Tokens that end an answer.
    pub end_tokens: Vec<u32>,
    /// Unix seconds it was loaded (`created` in `/v1/models`).
    pub loaded_at: u64,
    weights: CpuWeights,
}

/// Why a model did not load.
#[derive(Debug, thiserror::Error)]
#[error("model {path}: {message}")]
pub struct LoadError {
    pub path: String,
    pub message: String,
}

impl Model {
    /// Loads a GGUF for the fast CPU decoder: weights, tokenizer, chat template. `max_context`
    /// caps the model's trained context.
    pub fn load(
        name: &str,
        registry_id: Option<u64>,
        path: &Path,
        max_context: usize,
    ) -> Result<Self, LoadError> {
        Self::load_with(name, registry_id, path, max_context, CpuKind::Fast)
    }

    /// [`Model::load`] for the `kind` CPU decoder (attesters replay with the fast one).
    pub fn load_with(
        name: &str,
        registry_id: Option<u64>,
        path: &Path,
        max_context: usize,
        kind: CpuKind,
    ) -> Result<Self, LoadError> {
        let bad = |message: String| LoadError {
            path: path.display().to_string(),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let file_hash: [u8; 32] = Sha256::digest(&bytes).into();
        let gguf = Gguf::parse(bytes).map_err(|e| bad(e.to_string()))?;
        let tokenizer = Tokenizer::from_gguf(&gguf).map_err(|e| bad(e.to_string()))?;
        let weights = LlamaWeights::from_gguf(&gguf).map_err(|e| bad(e.to_string()))?;
        let text_of = |id: Option<u32>| {
            id.and_then(|id| tokenizer.token_bytes(id).ok())
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        };
        let source = gguf
            .get("tokenizer.chat_template")
            .and_then(MetaValue::as_str)
            .unwrap_or(CHATML);
        let template = ChatTemplate::new(source, &text_of(tokenizer.bos), &text_of(tokenizer.eos))
            .map_err(|e| bad(e.to_string()))?;
        drop(gguf);
        let mut end_tokens: Vec<u32> = tokenizer.eos.into_iter().collect();
        for t in END_TOKENS {
            if let Some(id) = tokenizer.token_id(t).filter(|id| !end_tokens.contains(id)) {
                end_tokens.push(id);
            }
        }
        let context = weights.config.context.min(max_context).max(2);
        let weights = CpuWeights::new(&weights, kind).map_err(|e| bad(e.to_string()))?;
        Ok(Model {
            name: name.to_owned(),
            registry_id,
            file_hash,
            tokenizer,
            template,
            context,
            end_tokens,
            loaded_at: unix_now(),
            weights,
        })
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// One generation to run.
#[derive(Clone, Debug)]
pub struct GenRequest {
    /// Prompt token ids (non-empty, and with `max_tokens` within the model's context).
    pub prompt: Vec<u32>,
    pub max_tokens: usize,
    pub sampling: Sampling,
    /// Texts that end the answer; they are not part of it.
    pub stop: Vec<String>,
}

/// Why an answer ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinishReason {
    /// An end token or a stop sequence.
    Stop,
    /// `max_tokens`.
    Length,
}

impl FinishReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
        }
    }
}

/// What a request hears from its worker.
#[derive(Debug)]
pub enum Event {
    /// Answer text, in order; concatenated they are the answer. `tokens`: the ids generated
    /// since the previous `Text` (concatenated, every token up to and including this text).
    Text { text: String, tokens: Vec<u32> },
    /// The end, after the last `Text`.
    Done(Finished),
    /// The model failed (the answer so far stands as sent).
    Failed(String),
}

/// A finished answer.
#[derive(Clone, Debug)]
pub struct Finished {
    pub reason: FinishReason,
    /// Generated token ids, without a final end token.
    pub tokens: Vec<u32>,
    /// The whole answer text (what the `Text` events carried).
    pub text: String,
}

/// Engine limits.
#[derive(Clone, Copy, Debug)]
pub struct EngineConfig {
    /// Worker threads (each steps its own share of the sequences).
    pub workers: usize,
    /// Sequences decoded at once, over all workers.
    pub max_sequences: usize,
    /// Requests that may wait for a sequence slot; past that a request is refused as busy.
    pub max_waiting: usize,
}

struct Pending {
    model: Arc<Model>,
    req: GenRequest,
    tx: mpsc::UnboundedSender<Event>,
    queued: Instant,
}

struct State {
    waiting: VecDeque<Pending>,
    active: usize,
    shutdown: bool,
}

struct Shared {
    cfg: EngineConfig,
    state: Mutex<State>,
    wake: Condvar,
    metrics: Arc<Metrics>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A worker that panicked mid-step leaves consistent counters (it updates them under
        // the lock only), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn publish(&self, st: &State) {
        self.metrics.queue_depth.set(st.waiting.len() as i64);
        self.metrics.active_sequences.set(st.active as i64);
    }
}

/// The worker pool.
pub struct Engine {
    shared: Arc<Shared>,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

/// Refused: every slot and queue place is taken.
#[derive(Debug)]
pub struct Busy(pub usize);

impl Engine {
    /// Starts `cfg.workers` threads.
    pub fn start(cfg: EngineConfig, metrics: Arc<Metrics>) -> std::io::Result<Self> {
        let cfg = EngineConfig {
            workers: cfg.workers.max(1),
            max_sequences: cfg.max_sequences.max(1),
            ..cfg
        };
        let shared = Arc::new(Shared {
            cfg,
            state: Mutex::new(State {
                waiting: VecDeque::new(),
                active: 0,
                shutdown: false,
            }),
            wake: Condvar::new(),
            metrics,
        });
        let mut threads = Vec::new();
        for i in 0..cfg.workers {
            let s = Arc::clone(&shared);
            threads.push(
                std::thread::Builder::new()
                    .name(format!("engine-{i}"))
                    .spawn(move || worker(&s))?,
            );
        }
        Ok(Engine {
            shared,
            threads: Mutex::new(threads),
        })
    }

    /// Queues a generation; its events arrive on the returned channel.
    pub fn submit(
        &self,
        model: Arc<Model>,
        req: GenRequest,
    ) -> Result<mpsc::UnboundedReceiver<Event>, Busy> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut st = self.shared.lock();
        let free = self.shared.cfg.max_sequences.saturating_sub(st.active);
        if st.waiting.len() >= self.shared.cfg.max_waiting + free {
            return Err(Busy(st.waiting.len()));
        }
        st.waiting.push_back(Pending {
            model,
            req,
            tx,
            queued: Instant::now(),
        });
        self.shared.publish(&st);
        drop(st);
        self.shared.wake.notify_all();
        Ok(rx)
    }

    /// Stops the workers after their current step; unfinished requests see their channel close.
    pub fn shutdown(&self) {
        self.shared.lock().shutdown = true;
        self.shared.wake.notify_all();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|p| p.into_inner()));
        for t in threads {
            let _ = t.join();
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn worker(shared: &Shared) {
    let cfg = shared.cfg;
    let share = cfg.max_sequences.div_ceil(cfg.workers);
    let mut seqs: Vec<Sequence> = Vec::new();
    loop {
        {
            let mut st = shared.lock();
            loop {
                if st.shutdown {
                    return;
                }
                // Its fair part of what there is to run now, so that 4 requests arriving at
                // once on 2 workers run 2 + 2, not 4 on one core while the other idles.
                let fair = (st.active + st.waiting.len()).div_ceil(cfg.workers);
                while st.active < cfg.max_sequences && seqs.len() < share.min(fair.max(1)) {
                    let Some(p) = st.waiting.pop_front() else {
                        break;
                    };
                    // Its client left while it waited: nothing to run.
                    if p.tx.is_closed() {
                        shared.metrics.cancelled.inc();
                        continue;
                    }
                    st.active += 1;
                    seqs.push(Sequence::new(p, &shared.metrics));
                }
                shared.publish(&st);
                if !st.waiting.is_empty() && st.active < cfg.max_sequences {
                    // Left for the other workers.
                    shared.wake.notify_all();
                }
                if !seqs.is_empty() {
                    break;
                }
                st = shared.wake.wait(st).unwrap_or_else(|p| p.into_inner());
            }
        }
        for s in &mut seqs {
            s.step(&shared.metrics);
        }
        let before = seqs.len();
        seqs.retain(|s| !s.done);
        if seqs.len() < before {
            let mut st = shared.lock();
            st.active -= before - seqs.len();
            shared.publish(&st);
            drop(st);
            shared.wake.notify_all();
        }
    }
}

/// Holds back answer text that could be the start of a stop sequence.
#[derive(Debug, Default)]
pub struct StopText {
    stops: Vec<String>,
    held: String,
}

impl StopText {
    pub fn new(stops: Vec<String>) -> Self {
        StopText {
            stops,
            held: String::new(),
        }
    }

    /// Adds text; returns what may be delivered now, and whether a stop sequence was hit (the
    /// text before it is returned, the rest dropped).
    pub fn push(&mut self, piece: &str) -> (String, bool) {
        self.held.push_str(piece);
        if let Some(at) = self
            .stops
            .iter()
            .filter_map(|s| self.held.find(s.as_str()))
            .min()
        {
            let out = self.held[..at].to_owned();
            self.held.clear();
            return (out, true);
        }
        // The longest tail of `held` that begins some stop sequence stays held.
        let mut keep = 0;
        for s in &self.stops {
            for (k, _) in s.char_indices().skip(1) {
                if k > keep && self.held.ends_with(&s[..k]) {
                    keep = k;
                }
            }
        }
        let cut = self.held.len() - keep;
        let out = self.held[..cut].to_owned();
        self.held.drain(..cut);
        (out, false)
    }

    /// The text held at the end of the answer.
    pub fn flush(&mut self) -> String {
        std::mem::take(&mut self.held)
    }
}

struct Sequence {
    model: Arc<Model>,
    dec: Box<dyn Decoder + Send>,
    prompt: Vec<u32>,
    fed: usize,
    max_tokens: usize,
    sampler: Sampler,
    logits: Option<Vec<f32>>,
    tokens: Vec<u32>,
    /// How many of `tokens` earlier `Text` events carried.
    sent_tokens: usize,
    stream: TextStream,
    stop: StopText,
    text: String,
    tx: mpsc::UnboundedSender<Event>,
    queued: Instant,
    last_token: Option<Instant>,
    done: bool,
}

impl Sequence {
    fn new(p: Pending, metrics: &Metrics) -> Self {
        metrics.queue_wait.observe(p.queued.elapsed().as_secs_f64());
        let ctx = p.req.prompt.len() + p.req.max_tokens;
        Sequence {
            dec: p.model.weights.decoder(ctx),
            model: p.model,
            prompt: p.req.prompt,
            fed: 0,
            max_tokens: p.req.max_tokens,
            sampler: p.req.sampling.sampler(),
            logits: None,
            tokens: Vec::new(),
            sent_tokens: 0,
            stream: TextStream::default(),
            stop: StopText::new(p.req.stop),
            text: String::new(),
            tx: p.tx,
            queued: p.queued,
            last_token: None,
            done: false,
        }
    }

    fn fail(&mut self, e: impl std::fmt::Display) {
        let _ = self.tx.send(Event::Failed(e.to_string()));
        self.done = true;
    }

    fn deliver(&mut self, text: String, metrics: &Metrics) {
        if text.is_empty() {
            return;
        }
        self.text.push_str(&text);
        let tokens = self.tokens[self.sent_tokens..].to_vec();
        self.sent_tokens = self.tokens.len();
        if self.tx.send(Event::Text { text, tokens }).is_err() {
            self.cancelled(metrics);
        }
    }

    fn cancelled(&mut self, metrics: &Metrics) {
        metrics.cancelled.inc();
        self.done = true;
    }

    fn finish(&mut self, reason: FinishReason, metrics: &Metrics) {
        let rest = self.stop.flush();
        self.deliver(rest, metrics);
        if self.done {
            return;
        }
        let _ = self.tx.send(Event::Done(Finished {
            reason,
            tokens: std::mem::take(&mut self.tokens),
            text: std::mem::take(&mut self.text),
        }));
        self.done = true;
    }

    /// One step: a prompt chunk, or one new token.
    fn step(&mut self, metrics: &Metrics) {
        if self.tx.is_closed() {
            return self.cancelled(metrics);
        }
        if self.fed < self.prompt.len() {
            let end = (self.fed + PREFILL_CHUNK).min(self.prompt.len());
            let chunk = &self.prompt[self.fed..end];
            let logits_from = if end == self.prompt.len() {
                chunk.len() - 1
            } else {
                chunk.len()
            };
            match self.dec.forward(chunk, logits_from) {
                Ok(l) => {
                    self.fed = end;
                    if end == self.prompt.len() {
                        self.logits = Some(l);
                    }
                }
                Err(e) => self.fail(e),
            }
            return;
        }
        let logits = match self.logits.take() {
            Some(l) => l,
            None => match self.tokens.last().map(|&t| self.dec.forward(&[t], 0)) {
                Some(Ok(l)) => l,
                Some(Err(e)) => return self.fail(e),
                None => return self.fail("no logits after the prompt"),
            },
        };
        let t = self.sampler.pick(&logits);
        let now = Instant::now();
        match self.last_token {
            None => metrics
                .time_to_first_token
                .observe((now - self.queued).as_secs_f64()),
            Some(prev) => metrics.time_per_token.observe((now - prev).as_secs_f64()),
        }
        self.last_token = Some(now);
        metrics.completion_tokens.inc();
        if self.model.end_tokens.contains(&t) {
            return self.finish(FinishReason::Stop, metrics);
        }
        self.tokens.push(t);
        let piece = match self.stream.push(&self.model.tokenizer, t) {
            Ok(p) => p,
            Err(e) => return self.fail(e),
        };
        let (text, stopped) = self.stop.push(&piece);
        self.deliver(text, metrics);
        if self.done {
            return;
        }
        if stopped {
            self.finish(FinishReason::Stop, metrics);
        } else if self.tokens.len() >= self.max_tokens {
            self.finish(FinishReason::Length, metrics);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stops: &[&str], pieces: &[&str]) -> (Vec<String>, bool, String) {
        let mut s = StopText::new(stops.iter().map(|s| s.to_string()).collect());
        let mut out = Vec::new();
        for p in pieces {
            let (t, hit) = s.push(p);
            out.push(t);
            if hit {
                return (out, true, String::new());
            }
        }
        (out, false, s.flush())
    }

    #[test]
    fn stop_sequences_are_cut_even_across_pieces() {
        assert_eq!(
            run(&["END"], &["ab", "cE", "N", "Dx"]),
            (
                vec!["ab".into(), "c".into(), "".into(), "".into()],
                true,
                String::new()
            )
        );
        // A held prefix that turns out not to be a stop is delivered.
        assert_eq!(
            run(&["END"], &["aE", "Nx", "y"]),
            (
                vec!["a".into(), "ENx".into(), "y".into()],
                false,
                String::new()
            )
        );
        // Held at the end of the answer: flushed.
        assert_eq!(
            run(&["\n\n"], &["a\n"]),
            (vec!["a".into()], false, "\n".into())
        );
        // The earliest of several stops wins; multi-byte characters are not split.
        assert_eq!(
            run(&["é!", "b"], &["aé", "!b"]),
            (vec!["a".into(), "".into()], true, String::new())
        );
        assert_eq!(
            run(&[], &["x", "y"]),
            (vec!["x".into(), "y".into()], false, String::new())
        );
    }
}
