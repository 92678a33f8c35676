//! GPT-2-style byte-level BPE built from GGUF metadata (`tokenizer.ggml.model = "gpt2"`).
//!
//! Encoding, as Hugging Face `tokenizers` does for SmolLM2 (`pre = "smollm"`):
//! 1. split out control tokens (token type 3, e.g. `<|im_start|>`) verbatim;
//! 2. pre-tokenise: every Unicode number character on its own (`Digits(individual_digits)`),
//!    then the GPT-2 pattern
//!    `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
//!    hand-written below because the `regex` crate has no look-ahead;
//! 3. map each UTF-8 byte to its printable stand-in (GPT-2 `bytes_to_unicode`), then merge the
//!    adjacent pair of lowest merge rank until none applies; look the pieces up in the vocabulary.
//!
//! `\p{L}` is approximated by `char::is_alphabetic() && !char::is_numeric()` (which also counts
//! the few combining marks with `Other_Alphabetic` as letters); `\s` is `char::is_whitespace`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use crate::error::LlmError;
use crate::llm::gguf::{Gguf, MetaValue};

/// Token type of control tokens in `tokenizer.ggml.token_type`.
const TOKEN_TYPE_CONTROL: i64 = 3;

/// A byte-level BPE tokenizer.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    tokens: Vec<String>,
    ids: HashMap<String, u32>,
    ranks: HashMap<(String, String), u32>,
    /// Control tokens, longest first so a longer one wins at the same position.
    specials: Vec<(String, u32)>,
    byte_to_char: [char; 256],
    char_to_byte: HashMap<char, u8>,
    /// Beginning-of-sequence id, if the model has one.
    pub bos: Option<u32>,
    /// End-of-sequence id, if the model has one.
    pub eos: Option<u32>,
}

/// GPT-2's reversible byte → printable char map.
fn bytes_to_unicode() -> [char; 256] {
    let mut map = ['\0'; 256];
    let mut n = 0u32;
    for b in 0..=255u8 {
        let printable = matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
        map[b as usize] = if printable {
            char::from(b)
        } else {
            let c = char::from_u32(256 + n).unwrap_or('\u{FFFD}');
            n += 1;
            c
        };
    }
    map
}

fn is_letter(c: char) -> bool {
    c.is_alphabetic() && !c.is_numeric()
}

fn is_other(c: char) -> bool {
    !c.is_whitespace() && !is_letter(c) && !c.is_numeric()
}

/// Pre-tokenises one piece of ordinary text (no control tokens) into words.
pub fn pre_tokenize(text: &str) -> Vec<&str> {
    // Step 1: isolate each number character.
    let mut pieces = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c.is_numeric() {
            if start < i {
                pieces.push(&text[start..i]);
            }
            pieces.push(&text[i..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    // Step 2: the GPT-2 pattern inside each piece.
    let mut words = Vec::new();
    for p in pieces {
        gpt2_split(p, &mut words);
    }
    words
}

fn gpt2_split<'a>(s: &'a str, out: &mut Vec<&'a str>) {
    let cs: Vec<(usize, char)> = s.char_indices().collect();
    let end_of = |k: usize| cs.get(k).map_or(s.len(), |&(i, _)| i);
    let run = |mut k: usize, f: fn(char) -> bool| {
        while k < cs.len() && f(cs[k].1) {
            k += 1;
        }
        k
    };
    let mut k = 0;
    while k < cs.len() {
        let c = cs[k].1;
        let next = cs.get(k + 1).map(|x| x.1);
        let j = if c == '\'' {
            let rest = &s[cs[k].0 + 1..];
            let l = ["s", "t", "m", "d", "re", "ve", "ll"]
                .iter()
                .find(|suf| rest.starts_with(**suf))
                .map(|suf| suf.len());
            match l {
                Some(l) => k + 1 + l, // all ASCII: chars == bytes
                None => run(k, is_other),
            }
        } else if is_letter(c) {
            run(k, is_letter)
        } else if c.is_numeric() {
            run(k, char::is_numeric)
        } else if c == ' ' && next.is_some_and(is_letter) {
            run(k + 1, is_letter)
        } else if c == ' ' && next.is_some_and(char::is_numeric) {
            run(k + 1, char::is_numeric)
        } else if c == ' ' && next.is_some_and(is_other) {
            run(k + 1, is_other)
        } else if c.is_whitespace() {
            let w = run(k, char::is_whitespace);
            // `\s+(?!\S)`: leave the last blank to the next word; a single blank before a
            // non-blank falls through to `\s+` and stands alone.
            if w < cs.len() && w - k > 1 {
                w - 1
            } else {
                w
            }
        } else {
            run(k, is_other)
        };
        out.push(&s[cs[k].0..end_of(j)]);
        k = j;
    }
}

fn meta_strings(g: &Gguf, key: &str) -> Result<Vec<String>, LlmError> {
    let arr = g
        .get(key)
        .and_then(MetaValue::as_array)
        .ok_or_else(|| LlmError::Model(format!("metadata {key} missing or not an array")))?;
    arr.iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| LlmError::Model(format!("{key} holds a non-string")))
        })
        .collect()
}

impl Tokenizer {
    /// Builds the tokenizer from `tokenizer.ggml.*` metadata.
    pub fn from_gguf(g: &Gguf) -> Result<Self, LlmError> {
        let model = g.get("tokenizer.ggml.model").and_then(MetaValue::as_str);
        if model != Some("gpt2") {
            return Err(LlmError::Model(format!(
                "tokenizer.ggml.model is {model:?}; only gpt2-style byte-level BPE is implemented"
            )));
        }
        let tokens = meta_strings(g, "tokenizer.ggml.tokens")?;
        let merges = meta_strings(g, "tokenizer.ggml.merges")?;
        let types: Vec<i64> = match g
            .get("tokenizer.ggml.token_type")
            .and_then(MetaValue::as_array)
        {
            Some(a) => a
                .iter()
                .map(|v| match v {
                    MetaValue::I32(x) => i64::from(*x),
                    other => other.as_u64().map_or(0, |x| x as i64),
                })
                .collect(),
            None => Vec::new(),
        };
        let id = |key: &str| {
            g.get(key)
                .and_then(MetaValue::as_u64)
                .and_then(|v| u32::try_from(v).ok())
                .filter(|&v| (v as usize) < tokens.len())
        };
        let specials = {
            let mut s: Vec<(String, u32)> = types
                .iter()
                .enumerate()
                .filter(|(i, &t)| t == TOKEN_TYPE_CONTROL && *i < tokens.len())
                .map(|(i, _)| (tokens[i].clone(), i as u32))
                .filter(|(t, _)| !t.is_empty())
                .collect();
            s.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.cmp(&b.1)));
            s
        };
        let (bos, eos) = (
            id("tokenizer.ggml.bos_token_id"),
            id("tokenizer.ggml.eos_token_id"),
        );
        Self::new(tokens, &merges, specials, bos, eos)
    }

    /// Builds a tokenizer from a vocabulary (byte-level strings), merges (`"a b"`) and control
    /// tokens.
    pub fn new(
        tokens: Vec<String>,
        merges: &[String],
        specials: Vec<(String, u32)>,
        bos: Option<u32>,
        eos: Option<u32>,
    ) -> Result<Self, LlmError> {
        let mut ids = HashMap::with_capacity(tokens.len());
        for (i, t) in tokens.iter().enumerate() {
            // First occurrence wins, as in llama.cpp.
            ids.entry(t.clone()).or_insert(i as u32);
        }
        let mut ranks = HashMap::with_capacity(merges.len());
        for (r, m) in merges.iter().enumerate() {
            let (a, b) = m
                .split_once(' ')
                .ok_or_else(|| LlmError::Model(format!("merge {r} ({m:?}) has no space")))?;
            ranks
                .entry((a.to_owned(), b.to_owned()))
                .or_insert(r as u32);
        }
        let byte_to_char = bytes_to_unicode();
        let char_to_byte = byte_to_char
            .iter()
            .enumerate()
            .map(|(b, &c)| (c, b as u8))
            .collect();
        Ok(Self {
            tokens,
            ids,
            ranks,
            specials,
            byte_to_char,
            char_to_byte,
            bos,
            eos,
        })
    }

    /// Vocabulary size.
    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    /// The id of a token string (byte-level form, or a control token's text).
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.ids.get(token).copied()
    }

    /// Encodes text; control-token texts inside it become their ids.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, LlmError> {
        let mut out = Vec::new();
        // Where each control token next occurs at or after `at` (None: nowhere). A position is
        // searched again only once the text before it is consumed, so text full of control
        // tokens costs one scan per control token, not one per occurrence.
        let mut next: Vec<Option<usize>> = self
            .specials
            .iter()
            .map(|(s, _)| text.find(s.as_str()))
            .collect();
        let mut at = 0;
        while at < text.len() {
            for (i, (s, _)) in self.specials.iter().enumerate() {
                if next[i].is_some_and(|p| p < at) {
                    next[i] = text[at..].find(s.as_str()).map(|p| at + p);
                }
            }
            // Earliest control token; the longest one at that position.
            let hit = next
                .iter()
                .zip(&self.specials)
                .filter_map(|(p, (s, id))| p.map(|p| (p, s.len(), *id)))
                .min_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
            let plain_end = hit.map_or(text.len(), |h| h.0);
            for word in pre_tokenize(&text[at..plain_end]) {
                self.bpe_word(word, &mut out)?;
            }
            match hit {
                Some((p, len, id)) => {
                    out.push(id);
                    at = p + len;
                }
                None => break,
            }
        }
        Ok(out)
    }

    /// Merges the adjacent pair of lowest rank (the leftmost of equals) until none applies.
    /// Pairs wait in a heap and symbols form a linked list, so a word of n bytes costs
    /// O(n log n), not the O(n²) of rescanning: a prompt may be one long run of letters.
    fn bpe_word(&self, word: &str, out: &mut Vec<u32>) -> Result<(), LlmError> {
        let mut syms: Vec<String> = word
            .bytes()
            .map(|b| self.byte_to_char[b as usize].to_string())
            .collect();
        let n = syms.len();
        // `next[i] == n` ends the list; merged-away symbols are not `alive`.
        let mut next: Vec<usize> = (1..=n).collect();
        let mut prev: Vec<Option<usize>> = (0..n).map(|i| i.checked_sub(1)).collect();
        let mut alive = vec![true; n];
        let rank = |syms: &[String], i: usize, j: usize| {
            self.ranks.get(&(syms[i].clone(), syms[j].clone())).copied()
        };
        let mut heap = BinaryHeap::new();
        for i in 1..n {
            if let Some(r) = rank(&syms, i - 1, i) {
                heap.push(Reverse((r, i - 1, i)));
            }
        }
        while let Some(Reverse((r, i, j))) = heap.pop() {
            // Stale: one side was merged away or grew since this pair was queued.
            if !alive[i] || !alive[j] || next[i] != j || rank(&syms, i, j) != Some(r) {
                continue;
            }
            let right = std::mem::take(&mut syms[j]);
            syms[i].push_str(&right);
            alive[j] = false;
            next[i] = next[j];
            if next[i] < n {
                prev[next[i]] = Some(i);
            }
            if let Some(p) = prev[i] {
                if let Some(r) = rank(&syms, p, i) {
                    heap.push(Reverse((r, p, i)));
                }
            }
            if next[i] < n {
                if let Some(r) = rank(&syms, i, next[i]) {
                    heap.push(Reverse((r, i, next[i])));
                }
            }
        }
        let mut i = 0;
        while i < n {
            let s = &syms[i];
            let id = self.ids.get(s).ok_or_else(|| {
                LlmError::InvalidInput(format!("piece {s:?} of {word:?} is not in the vocabulary"))
            })?;
            out.push(*id);
            i = next[i];
        }
        Ok(())
    }

    /// The bytes a token stands for (control tokens give their text).
    pub fn token_bytes(&self, id: u32) -> Result<Vec<u8>, LlmError> {
        let t = self
            .tokens
            .get(id as usize)
            .ok_or_else(|| LlmError::InvalidInput(format!("token id {id} out of range")))?;
        if self.specials.iter().any(|(_, s)| *s == id) {
            return Ok(t.as_bytes().to_vec());
        }
        // Chars outside the byte map (none in a byte-level vocabulary) pass through as UTF-8.
        let mut out = Vec::with_capacity(t.len());
        for c in t.chars() {
            match self.char_to_byte.get(&c) {
                Some(&b) => out.push(b),
                None => out.extend_from_slice(c.to_string().as_bytes()),
            }
        }
        Ok(out)
    }

    /// Decodes ids to text (invalid UTF-8 becomes U+FFFD).
    pub fn decode(&self, ids: &[u32]) -> Result<String, LlmError> {
        let mut bytes = Vec::new();
        for &id in ids {
            bytes.extend(self.token_bytes(id)?);
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// SmolLM2's chat template (`tokenizer.chat_template`) for `(role, content)` messages,
    /// with the default system prompt when the first message is not a system message, and the
    /// assistant generation prompt appended.
    pub fn smollm2_chat_prompt(messages: &[(&str, &str)]) -> String {
        let mut s = String::new();
        if messages.first().is_none_or(|m| m.0 != "system") {
            s.push_str(
                "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by \
                 Hugging Face<|im_end|>\n",
            );
        }
        for (role, content) in messages {
            s.push_str(&format!("<|im_start|>{role}\n{content}<|im_end|>\n"));
        }
        s.push_str("<|im_start|>assistant\n");
        s
    }
}

/// Turns a stream of token ids into text pieces, holding back bytes until they form whole UTF-8
/// characters (a character may span tokens).
#[derive(Debug, Default)]
pub struct TextStream {
    pending: Vec<u8>,
}

impl TextStream {
    /// Adds a token; returns the text that became complete.
    pub fn push(&mut self, tok: &Tokenizer, id: u32) -> Result<String, LlmError> {
        self.pending.extend(tok.token_bytes(id)?);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            // An incomplete sequence at the end waits; an invalid one is flushed lossily.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => self.pending.len(),
        };
        let out = String::from_utf8_lossy(&self.pending[..valid]).into_owned();
        self.pending.drain(..valid);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_tokenizer_follows_the_gpt2_pattern_with_isolated_digits() {
        assert_eq!(
            pre_tokenize("In 2024, it's 3.1"),
            ["In", " ", "2", "0", "2", "4", ",", " it", "'s", " ", "3", ".", "1"]
        );
        assert_eq!(
            pre_tokenize("  leading\n\nx\t y"),
            [" ", " leading", "\n", "\n", "x", "\t", " y"]
        );
        assert_eq!(
            pre_tokenize("don't I'LL ?!  "),
            ["don", "'t", " I", "'", "LL", " ?!", "  "]
        );
    }

    #[test]
    fn byte_map_is_a_bijection() {
        let m = bytes_to_unicode();
        let set: std::collections::HashSet<char> = m.iter().copied().collect();
        assert_eq!(set.len(), 256);
        assert_eq!((m[b' ' as usize], m[b'\n' as usize]), ('Ġ', 'Ċ'));
    }

    #[test]
    fn bpe_applies_merges_by_rank() {
        let toks: Vec<String> = ["a", "b", "c", "ab", "bc", "abc", "<s>"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        // "b c" ranks before "a b": "abc" → a + bc (no "a bc" merge) → [a, bc].
        let t = Tokenizer::new(
            toks,
            &["b c".into(), "a b".into()],
            vec![("<s>".into(), 6)],
            None,
            None,
        )
        .unwrap();
        assert_eq!(t.encode("abc").unwrap(), [0, 4]);
        assert_eq!(t.encode("ab<s>c").unwrap(), [3, 6, 2]);
        assert_eq!(t.encode("<s><s>a<s>").unwrap(), [6, 6, 0, 6]);
        assert_eq!(t.decode(&[0, 4, 6]).unwrap(), "abc<s>");
        assert!(
            t.encode("z").is_err(),
            "unknown bytes are an error, not a panic"
        );
    }

    /// The quadratic reference the heap merge must match: rescan, merge the lowest-rank
    /// leftmost pair, repeat.
    fn naive_bpe(ranks: &HashMap<(String, String), u32>, word: &str) -> Vec<String> {
        let mut syms: Vec<String> = word.chars().map(|c| c.to_string()).collect();
        loop {
            let best = syms
                .windows(2)
                .enumerate()
                .filter_map(|(i, w)| ranks.get(&(w[0].clone(), w[1].clone())).map(|&r| (r, i)))
                .min();
            let Some((_, i)) = best else { break };
            let merged = format!("{}{}", syms[i], syms[i + 1]);
            syms[i] = merged;
            syms.remove(i + 1);
        }
        syms
    }

    #[test]
    fn heap_merge_matches_the_rescanning_merge() {
        // Every string over {a, b, c} up to length 4 is a token; merges in a fixed shuffled
        // order, so ties, chains and overlapping pairs all occur.
        let mut toks = vec![String::new()];
        let mut all = Vec::new();
        for _ in 0..4 {
            toks = toks
                .iter()
                .flat_map(|t| ["a", "b", "c"].map(|c| format!("{t}{c}")))
                .collect();
            all.extend(toks.clone());
        }
        let mut rng = crate::rng::SplitMix64::new(7);
        let mut merges = Vec::new();
        for t in all.iter().filter(|t| t.len() >= 2) {
            let cut = 1 + (rng.next_u64() as usize) % (t.len() - 1);
            merges.push((rng.next_u64(), format!("{} {}", &t[..cut], &t[cut..])));
        }
        merges.sort();
        let merges: Vec<String> = merges.into_iter().map(|m| m.1).collect();
        let t = Tokenizer::new(all.clone(), &merges, vec![], None, None).unwrap();
        for _ in 0..2000 {
            let len = 1 + (rng.next_u64() as usize) % 24;
            let word: String = (0..len)
                .map(|_| ["a", "b", "c"][(rng.next_u64() % 3) as usize])
                .collect();
            let want: Vec<u32> = naive_bpe(&t.ranks, &word)
                .iter()
                .map(|s| t.ids[s])
                .collect();
            let mut got = Vec::new();
            t.bpe_word(&word, &mut got).unwrap();
            assert_eq!(got, want, "{word}");
        }
    }
}
