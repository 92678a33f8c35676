//! The request bodies of the OpenAI API routes served here, and their checks. Fields this
//! gateway does not implement are refused by name when they would change the answer (`n > 1`,
//! `logprobs`, `tools`) and ignored otherwise (`user`, `presence_penalty` of 0, …), as
//! OpenAI-compatible servers do, so unmodified clients and frameworks work.

use serde::Deserialize;

use crate::error::ApiError;

/// The most stop sequences a request may give (OpenAI's limit).
pub const MAX_STOP_SEQUENCES: usize = 4;
/// The longest stop sequence, in bytes.
pub const MAX_STOP_BYTES: usize = 256;

/// `POST /v1/chat/completions`.
#[derive(Debug, Deserialize)]
pub struct ChatCompletionRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    #[serde(flatten)]
    pub params: SamplingParams,
}

/// `POST /v1/completions`.
#[derive(Debug, Deserialize)]
pub struct CompletionRequest {
    pub model: String,
    pub prompt: Prompt,
    /// Echo the prompt before the completion.
    #[serde(default)]
    pub echo: bool,
    #[serde(flatten)]
    pub params: SamplingParams,
}

/// What both routes share.
#[derive(Debug, Default, Deserialize)]
pub struct SamplingParams {
    pub max_tokens: Option<u64>,
    /// The newer name of `max_tokens` (chat).
    pub max_completion_tokens: Option<u64>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub seed: Option<u64>,
    pub stop: Option<Stop>,
    #[serde(default)]
    pub stream: bool,
    pub stream_options: Option<StreamOptions>,
    pub n: Option<u32>,
    pub logprobs: Option<serde_json::Value>,
    pub tools: Option<Vec<serde_json::Value>>,
    pub presence_penalty: Option<f32>,
    pub frequency_penalty: Option<f32>,
}

#[derive(Debug, Default, Deserialize)]
pub struct StreamOptions {
    #[serde(default)]
    pub include_usage: bool,
}

/// `stop`: one string or a list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    One(String),
    Many(Vec<String>),
}

/// `prompt`: one string, or a list holding one string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Prompt {
    One(String),
    Many(Vec<String>),
}

/// One chat message.
#[derive(Debug, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: Option<Content>,
}

/// Message content: a string, or text parts.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

#[derive(Debug, Deserialize)]
pub struct ContentPart {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
}

/// The roles a chat template is given.
const ROLES: [&str; 5] = ["system", "developer", "user", "assistant", "tool"];

impl ChatMessage {
    /// `(role, text)`, with text parts joined; `developer` is the newer name of `system`.
    pub fn text(&self) -> Result<(String, String), ApiError> {
        if !ROLES.contains(&self.role.as_str()) {
            return Err(ApiError::invalid(
                "messages",
                format!(
                    "unknown message role {:?}; use one of {}",
                    self.role,
                    ROLES.join(", ")
                ),
            ));
        }
        let text = match &self.content {
            None => {
                return Err(ApiError::invalid(
                    "messages",
                    format!("a {} message needs content", self.role),
                ))
            }
            Some(Content::Text(t)) => t.clone(),
            Some(Content::Parts(parts)) => {
                let mut out = String::new();
                for p in parts {
                    match (p.kind.as_str(), &p.text) {
                        ("text", Some(t)) => out.push_str(t),
                        (kind, _) => {
                            return Err(ApiError::invalid(
                                "messages",
                                format!(
                                    "content parts of type {kind:?} are not supported; only text"
                                ),
                            ))
                        }
                    }
                }
                out
            }
        };
        let role = if self.role == "developer" {
            "system".to_string()
        } else {
            self.role.clone()
        };
        Ok((role, text))
    }
}

impl Prompt {
    pub fn single(&self) -> Result<&str, ApiError> {
        match self {
            Prompt::One(s) => Ok(s),
            Prompt::Many(v) if v.len() == 1 => Ok(&v[0]),
            Prompt::Many(v) => Err(ApiError::invalid(
                "prompt",
                format!(
                    "a list of {} prompts; this gateway takes one per request",
                    v.len()
                ),
            )),
        }
    }
}

/// Checked sampling parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    pub max_tokens: Option<u64>,
    pub temperature: f32,
    pub top_p: f32,
    pub seed: Option<u64>,
    pub stop: Vec<String>,
    pub stream: bool,
    pub include_usage: bool,
}

impl SamplingParams {
    /// Range checks; what is refused says why.
    pub fn check(&self) -> Result<Checked, ApiError> {
        if let Some(n) = self.n.filter(|&n| n != 1) {
            return Err(ApiError::invalid(
                "n",
                format!("n = {n}: this gateway returns one choice per request"),
            ));
        }
        if self
            .logprobs
            .as_ref()
            .is_some_and(|v| !v.is_null() && *v != serde_json::Value::Bool(false))
        {
            return Err(ApiError::invalid("logprobs", "logprobs are not supported"));
        }
        if self.tools.as_ref().is_some_and(|t| !t.is_empty()) {
            return Err(ApiError::invalid("tools", "tool calls are not supported"));
        }
        for (name, v) in [
            ("presence_penalty", self.presence_penalty),
            ("frequency_penalty", self.frequency_penalty),
        ] {
            if v.is_some_and(|v| v != 0.0) {
                return Err(ApiError::invalid(name, format!("{name} is not supported")));
            }
        }
        let temperature = self.temperature.unwrap_or(1.0);
        if !(0.0..=2.0).contains(&temperature) {
            return Err(ApiError::invalid(
                "temperature",
                format!("temperature {temperature} is outside [0, 2]"),
            ));
        }
        let top_p = self.top_p.unwrap_or(1.0);
        if !(top_p > 0.0 && top_p <= 1.0) {
            return Err(ApiError::invalid(
                "top_p",
                format!("top_p {top_p} is outside (0, 1]"),
            ));
        }
        let max_tokens = match (self.max_tokens, self.max_completion_tokens) {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid(
                    "max_tokens",
                    "give max_tokens or max_completion_tokens, not both",
                ))
            }
            (a, b) => a.or(b),
        };
        if max_tokens == Some(0) {
            return Err(ApiError::invalid(
                "max_tokens",
                "max_tokens must be at least 1",
            ));
        }
        let stop = match &self.stop {
            None => vec![],
            Some(Stop::One(s)) => vec![s.clone()],
            Some(Stop::Many(v)) => v.clone(),
        };
        if stop.len() > MAX_STOP_SEQUENCES {
            return Err(ApiError::invalid(
                "stop",
                format!(
                    "{} stop sequences; at most {MAX_STOP_SEQUENCES}",
                    stop.len()
                ),
            ));
        }
        if let Some(s) = stop
            .iter()
            .find(|s| s.is_empty() || s.len() > MAX_STOP_BYTES)
        {
            return Err(ApiError::invalid(
                "stop",
                format!(
                    "stop sequence of {} bytes; each must be 1..={MAX_STOP_BYTES}",
                    s.len()
                ),
            ));
        }
        Ok(Checked {
            max_tokens,
            temperature,
            top_p,
            seed: self.seed,
            stop,
            stream: self.stream,
            include_usage: self
                .stream_options
                .as_ref()
                .is_some_and(|o| o.include_usage),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(json: &str) -> SamplingParams {
        serde_json::from_str(json).expect("parses")
    }

    #[test]
    fn defaults_are_openais() {
        let c = params("{}").check().expect("ok");
        assert_eq!(
            c,
            Checked {
                max_tokens: None,
                temperature: 1.0,
                top_p: 1.0,
                seed: None,
                stop: vec![],
                stream: false,
                include_usage: false,
            }
        );
        let c = params(r#"{"stop":"\n","stream":true,"stream_options":{"include_usage":true},"n":1,"logprobs":false}"#)
            .check()
            .expect("ok");
        assert_eq!(
            (c.stop, c.stream, c.include_usage),
            (vec!["\n".to_string()], true, true)
        );
    }

    #[test]
    fn out_of_range_parameters_name_their_field() {
        for (json, field) in [
            (r#"{"n":2}"#, "n"),
            (r#"{"logprobs":true}"#, "logprobs"),
            (r#"{"tools":[{"type":"function"}]}"#, "tools"),
            (r#"{"temperature":2.5}"#, "temperature"),
            (r#"{"temperature":-1}"#, "temperature"),
            (r#"{"top_p":0}"#, "top_p"),
            (r#"{"top_p":1.5}"#, "top_p"),
            (r#"{"max_tokens":0}"#, "max_tokens"),
            (
                r#"{"max_tokens":5,"max_completion_tokens":5}"#,
                "max_tokens",
            ),
            (r#"{"stop":["a","b","c","d","e"]}"#, "stop"),
            (r#"{"stop":[""]}"#, "stop"),
            (r#"{"presence_penalty":0.5}"#, "presence_penalty"),
        ] {
            match params(json).check() {
                Err(ApiError::BadRequest { param, .. }) => assert_eq!(param, Some(field), "{json}"),
                other => panic!("{json}: {other:?}"),
            }
        }
    }

    #[test]
    fn messages_take_text_parts_and_refuse_the_rest() {
        let m: ChatMessage = serde_json::from_str(
            r#"{"role":"developer","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}"#,
        )
        .expect("parses");
        assert_eq!(m.text().expect("ok"), ("system".into(), "ab".into()));
        let image: ChatMessage = serde_json::from_str(
            r#"{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}"#,
        )
        .expect("parses");
        assert!(image.text().is_err());
        let role: ChatMessage =
            serde_json::from_str(r#"{"role":"wizard","content":"x"}"#).expect("parses");
        assert!(role.text().is_err());
        let none: ChatMessage = serde_json::from_str(r#"{"role":"user"}"#).expect("parses");
        assert!(none.text().is_err());
    }
}
