//! What a gateway stores for each answer it charges for, and how attesters check it before
//! attributing it.
//!
//! A job's input is a [`PromptRecord`] (the rendered prompt and the sampling settings the answer
//! was generated with, always with a seed: the gateway draws one when the client gave none) and
//! its output a [`CompletionRecord`] (the answer text delivered and the token ids generated).
//! [`check`] recounts both token counts with the model's tokenizer and replays the answer: one
//! prefill pass over `prompt ‖ answer` gives the logits at every answer position, and the
//! recorded sampler (greedy, or seeded with temperature / top-k / top-p) must pick each answer
//! token from them again. Replay by prefill is exact for the CPU decoder the gateway runs (the
//! fast one gives the same logits in a prefill as in decode steps, on every CPU); a
//! few near-ties are tolerated for gateways whose float order differs (a GPU), see
//! [`TOLERATED_RANK`]. Everything here is deterministic on the CPU decoders, so every honest
//! attester reaches the same verdict, which is what the quorum compares.

use gpu_oracle::llm::tokenizer::TextStream;
use gpu_oracle::llm::{CpuWeights, Sampling, Tokenizer};
use openledger_types::escrow::{JobInfo, Rejection};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// `type` of a [`PromptRecord`].
pub const PROMPT_RECORD: &str = "openledger/prompt/v1";
/// `type` of a [`CompletionRecord`].
pub const COMPLETION_RECORD: &str = "openledger/completion/v1";

/// A replayed position whose recorded token is not the sampler's pick is tolerated only when
/// that token is among this many of the position's largest logits (rank 0 = the largest)…
pub const TOLERATED_RANK: usize = 4;
/// …and only for at most `1 + tokens / TOLERATED_EVERY` positions of one answer. A forger may
/// thus bend about 3 % of an answer's tokens among near-equal choices, never write his own.
pub const TOLERATED_EVERY: usize = 32;

/// The sampling settings an answer was generated with ([`Sampling`], as stored).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplingRecord {
    /// `<= 0`: greedy.
    pub temperature: f32,
    pub top_p: f32,
    /// 0: all tokens.
    pub top_k: u32,
    pub seed: u64,
}

impl From<Sampling> for SamplingRecord {
    fn from(s: Sampling) -> Self {
        SamplingRecord {
            temperature: s.temperature,
            top_p: s.top_p,
            top_k: s.top_k as u32,
            seed: s.seed,
        }
    }
}

impl From<SamplingRecord> for Sampling {
    fn from(s: SamplingRecord) -> Self {
        Sampling {
            temperature: s.temperature,
            top_k: s.top_k as usize,
            top_p: s.top_p,
            seed: s.seed,
        }
    }
}

/// A job's input as a gateway stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptRecord {
    /// [`PROMPT_RECORD`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The prompt exactly as the model read it (chat template applied), tokenised with the
    /// model's tokenizer, control tokens included.
    pub prompt: String,
    /// The most answer tokens the request allowed.
    pub max_tokens: u32,
    pub sampling: SamplingRecord,
}

impl PromptRecord {
    pub fn new(prompt: String, max_tokens: u32, sampling: Sampling) -> Self {
        PromptRecord {
            kind: PROMPT_RECORD.into(),
            prompt,
            max_tokens,
            sampling: sampling.into(),
        }
    }
}

/// A job's output as a gateway stores it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompletionRecord {
    /// [`COMPLETION_RECORD`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The answer text delivered (a stop sequence and what followed it cut off).
    pub text: String,
    /// The answer's generated token ids, in order, without a final end-of-answer token: what
    /// the job's `output_tokens` counts.
    pub tokens: Vec<u32>,
}

impl CompletionRecord {
    pub fn new(text: String, tokens: Vec<u32>) -> Self {
        CompletionRecord {
            kind: COMPLETION_RECORD.into(),
            text,
            tokens,
        }
    }
}

fn parse<'a, T: Deserialize<'a>>(bytes: &'a [u8], kind: &str, field: fn(&T) -> &str) -> Option<T> {
    serde_json::from_slice::<T>(bytes)
        .ok()
        .filter(|r| field(r) == kind)
}

pub fn parse_prompt(bytes: &[u8]) -> Option<PromptRecord> {
    parse(bytes, PROMPT_RECORD, |r: &PromptRecord| &r.kind)
}

pub fn parse_completion(bytes: &[u8]) -> Option<CompletionRecord> {
    parse(bytes, COMPLETION_RECORD, |r: &CompletionRecord| &r.kind)
}

/// The answer text of a job's output: a [`CompletionRecord`]'s text, or (outputs stored before
/// records, e.g. by `openledger-attester infer`) the bytes themselves.
pub fn answer_text(output: &[u8]) -> Option<String> {
    match parse_completion(output) {
        Some(r) => Some(r.text),
        None => String::from_utf8(output.to_vec()).ok(),
    }
}

/// What [`check`] found.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// The counts are right and the model produces the answer.
    Verified {
        /// Positions where the sampler picked the recorded token.
        exact: usize,
        /// Near-ties tolerated (see [`TOLERATED_RANK`]).
        tolerated: usize,
    },
    /// A job its payer opened himself with plain-text input and output (no records): there is
    /// nothing to replay, and he paid for what he declared.
    Unrecorded,
    /// The inference does not check: what the attester reveals, and why (for its log).
    Rejected { reason: Rejection, why: String },
}

fn reject(reason: Rejection, why: String) -> Verdict {
    Verdict::Rejected { reason, why }
}

/// The model as an attester replays it: tokenizer, weights and trained context.
pub struct Replayer<'a> {
    pub tokenizer: &'a Tokenizer,
    pub weights: CpuWeights,
    /// Positions the model was trained for: prompt + answer may not exceed it.
    pub context: usize,
}

/// Checks `job`'s stored `input` and `output` against what it was charged for. `by_gateway`:
/// the job was opened by a gateway (which must store records); otherwise plain text is the
/// payer's own declaration and is not replayed. Checks run in a fixed order and the first that
/// fails decides the verdict: the prompt record, its token count, the completion record, its
/// token count, then the answer itself.
pub fn check(
    model: &Replayer<'_>,
    job: &JobInfo,
    by_gateway: bool,
    input: &[u8],
    output: &[u8],
) -> Result<Verdict> {
    let Some(prompt) = parse_prompt(input) else {
        return Ok(if by_gateway {
            reject(
                Rejection::Output,
                format!("the input is not a {PROMPT_RECORD} record"),
            )
        } else {
            Verdict::Unrecorded
        });
    };
    let prompt_ids = model.tokenizer.encode(&prompt.prompt)?;
    if prompt_ids.len() as u64 != job.input_tokens {
        return Ok(reject(
            Rejection::TokenCount,
            format!(
                "the prompt is {} tokens, the job was charged for {}",
                prompt_ids.len(),
                job.input_tokens
            ),
        ));
    }
    let Some(answer) = parse_completion(output) else {
        return Ok(reject(
            Rejection::Output,
            format!("the output is not a {COMPLETION_RECORD} record"),
        ));
    };
    let n = answer.tokens.len();
    if n as u64 != job.output_tokens {
        return Ok(reject(
            Rejection::TokenCount,
            format!(
                "the answer is {n} tokens, the job was charged for {}",
                job.output_tokens
            ),
        ));
    }
    if prompt_ids.is_empty() {
        return Ok(reject(Rejection::Output, "the prompt is empty".into()));
    }
    if n > prompt.max_tokens as usize {
        return Ok(reject(
            Rejection::Output,
            format!(
                "{n} answer tokens, more than max_tokens {}",
                prompt.max_tokens
            ),
        ));
    }
    if prompt_ids.len() + n > model.context {
        return Ok(reject(
            Rejection::Output,
            format!(
                "{} prompt + {n} answer tokens exceed the model's context of {}",
                prompt_ids.len(),
                model.context
            ),
        ));
    }
    let vocab = model.weights.config().vocab;
    if let Some(t) = answer.tokens.iter().find(|&&t| t as usize >= vocab) {
        return Ok(reject(
            Rejection::Output,
            format!("token id {t} is not in the vocabulary of {vocab}"),
        ));
    }
    // The delivered text is what the tokens spell, up to where a stop sequence cut it.
    let mut stream = TextStream::default();
    let mut spelled = String::new();
    for &t in &answer.tokens {
        spelled.push_str(&stream.push(model.tokenizer, t)?);
    }
    if !spelled.starts_with(&answer.text) {
        return Ok(reject(
            Rejection::Output,
            "the answer text is not what its tokens spell".into(),
        ));
    }
    if n == 0 {
        return Ok(Verdict::Verified {
            exact: 0,
            tolerated: 0,
        });
    }
    let mut seq = prompt_ids.clone();
    seq.extend_from_slice(&answer.tokens[..n - 1]);
    let mut dec = model.weights.decoder(seq.len());
    // The logits of the last prompt position and of every answer position but the last.
    let logits = dec.forward(&seq, prompt_ids.len() - 1)?;
    let mut sampler = Sampling::from(prompt.sampling).sampler();
    let (mut exact, mut tolerated) = (0, 0);
    for (i, &claimed) in answer.tokens.iter().enumerate() {
        let row = &logits[i * vocab..(i + 1) * vocab];
        if sampler.pick(row) == claimed {
            exact += 1;
            continue;
        }
        let logit = row[claimed as usize];
        let rank = row.iter().filter(|&&x| x > logit).count();
        if rank >= TOLERATED_RANK || logit.is_nan() {
            return Ok(reject(
                Rejection::Output,
                format!(
                    "answer token {i} (id {claimed}) is not the model's: {rank} tokens were \
                     more likely there"
                ),
            ));
        }
        tolerated += 1;
        if tolerated > 1 + n / TOLERATED_EVERY {
            return Ok(reject(
                Rejection::Output,
                format!(
                    "{tolerated} of {n} answer tokens differ from the model's choice, more \
                     than the {} near-ties tolerated",
                    1 + n / TOLERATED_EVERY
                ),
            ));
        }
    }
    Ok(Verdict::Verified { exact, tolerated })
}
