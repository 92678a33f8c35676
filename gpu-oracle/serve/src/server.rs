//! The HTTP routes: the OpenAI API under `/v1`, plus `/health`, `/ready` and `/metrics`.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gpu_oracle::llm::Sampling;
use openledger_attester::content::ContentStore;
use openledger_attester::inference::{answer_text, CompletionRecord, PromptRecord};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::auth::{Payer, Verifier};
use crate::billing::{Billing, Reservation};
use crate::config::Testing;
use crate::engine::{unix_now, Engine, Event, GenRequest, Model};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::openai::{ChatCompletionRequest, Checked, CompletionRequest};

/// Largest request body (a prompt at the full context is far smaller).
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// `max_tokens` when a request gives none (and the context has room).
pub const DEFAULT_MAX_TOKENS: usize = 256;

/// What every handler shares.
pub struct Gateway {
    pub engine: Engine,
    pub models: Vec<Arc<Model>>,
    pub verifier: Verifier,
    pub metrics: Arc<Metrics>,
    pub content: Option<ContentStore>,
    /// The chain side: credit checks and job opening. None: answers are not charged.
    pub billing: Option<Arc<Billing>>,
    /// False once shutdown began (`/ready` answers 503).
    pub ready: AtomicBool,
    /// Misbehaviour on purpose, for tests that the attesters catch it (default: none).
    pub testing: Testing,
    ids: AtomicU64,
}

impl Gateway {
    pub fn new(
        engine: Engine,
        models: Vec<Arc<Model>>,
        verifier: Verifier,
        metrics: Arc<Metrics>,
        content: Option<ContentStore>,
        billing: Option<Arc<Billing>>,
    ) -> Self {
        Gateway {
            engine,
            models,
            verifier,
            metrics,
            content,
            billing,
            ready: AtomicBool::new(true),
            testing: Testing::default(),
            ids: AtomicU64::new(0),
        }
    }

    fn model(&self, name: &str) -> Result<Arc<Model>, ApiError> {
        self.models
            .iter()
            .find(|m| m.name == name)
            .cloned()
            .ok_or_else(|| ApiError::ModelNotFound(name.to_owned()))
    }

    fn authenticate(&self, headers: &HeaderMap) -> Result<Payer, ApiError> {
        let value = headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "no API key: send `Authorization: Bearer olk_…` (make one with \
                     `openledger-serve api-key`)"
                        .into(),
                )
            })?
            .to_str()
            .map_err(|_| ApiError::Unauthorized("Authorization header is not ASCII".into()))?;
        let token = value
            .strip_prefix("Bearer ")
            .ok_or_else(|| ApiError::Unauthorized("Authorization is not `Bearer <key>`".into()))?;
        self.verifier
            .verify(token.trim(), unix_now())
            .map_err(|e| ApiError::Unauthorized(e.to_string()))
    }

    /// A fresh response id (unique per process and run).
    fn next_id(&self, prefix: &str) -> String {
        let n = self.ids.fetch_add(1, Ordering::Relaxed);
        let h = Sha256::digest(format!("{}:{}:{n}", std::process::id(), unix_now()));
        format!("{prefix}-{}", hex::encode(&h[..12]))
    }
}

/// The router.
pub fn router(gw: Arc<Gateway>) -> Router {
    Router::new()
        .route("/v1/models", get(list_models))
        .route("/v1/models/:model", get(get_model))
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/completions", post(completions))
        .route("/v1/receipts/:job", get(receipt))
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                |req: &Request| tracing::info_span!("http", method = %req.method(), path = %req.uri().path()),
            ),
        )
        .with_state(gw)
}

async fn not_found(req: Request) -> ApiError {
    ApiError::NotFound(format!("no route {} {}", req.method(), req.uri().path()))
}

async fn ready(State(gw): State<Arc<Gateway>>) -> Response {
    let names: Vec<&str> = gw.models.iter().map(|m| m.name.as_str()).collect();
    if gw.ready.load(Ordering::Relaxed) {
        Json(json!({"ready": true, "models": names})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"ready": false})),
        )
            .into_response()
    }
}

async fn metrics(State(gw): State<Arc<Gateway>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        gw.metrics.render(),
    )
        .into_response()
}

fn model_json(m: &Model) -> Value {
    json!({
        "id": m.name,
        "object": "model",
        "created": m.loaded_at,
        "owned_by": "openledger",
        "openledger": {
            "registry_id": m.registry_id,
            "model_hash": hex::encode(m.file_hash),
            "context_length": m.context,
        },
    })
}

async fn list_models(State(gw): State<Arc<Gateway>>) -> Json<Value> {
    gw.metrics.request("models", 200);
    let data: Vec<Value> = gw.models.iter().map(|m| model_json(m)).collect();
    Json(json!({"object": "list", "data": data}))
}

async fn get_model(
    State(gw): State<Arc<Gateway>>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(model_json(gw.model(&name)?.as_ref())))
}

/// `GET /v1/receipts/{job}`: the escrow's record of an answer's job (state, fee, assigned
/// attesters, the attested result), the answer itself, the contributions that influenced it,
/// and once settled what each party was paid and the txs that opened and settled it.
async fn receipt(
    State(gw): State<Arc<Gateway>>,
    axum::extract::Path(job): axum::extract::Path<String>,
) -> Result<Json<Value>, ApiError> {
    let job_id: u64 = job
        .parse()
        .map_err(|_| ApiError::invalid("job", format!("job id {job:?} is not a number")))?;
    let billing = gw
        .billing
        .as_ref()
        .ok_or_else(|| ApiError::NotFound("this gateway is not connected to a chain".into()))?;
    let record = billing.job(job_id).await?;
    let output = record["job"]["spec"]["output_hash"]
        .as_str()
        .and_then(|h| hex::decode(h).ok())
        .and_then(|h| gw.content.as_ref()?.get(&h).ok())
        .map(|b| answer_text(&b).unwrap_or_else(|| String::from_utf8_lossy(&b).into_owned()));
    let settlement = billing.settlement(job_id).await?;
    Ok(Json(json!({
        "object": "openledger.receipt",
        "job": job_id,
        "status": record["job"]["status"],
        "answer": output,
        // The rows that influenced the answer, with their share of the contributors' part.
        "contributions": record["job"]["result"]["contributions"],
        "payouts": settlement["payouts"],
        "txs": settlement["txs"],
        "escrow": record,
    })))
}

/// A JSON body whose every failure is an OpenAI-shaped 400 or 413.
pub struct JsonBody<T>(pub T);

#[axum::async_trait]
impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::TooLarge(MAX_BODY_BYTES))?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::BadRequest {
                message: format!("request body is not valid for this route: {e}"),
                param: None,
            })
    }
}

/// Which API shape a request and its answer take.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Chat,
    Text,
}

impl Kind {
    fn endpoint(self) -> &'static str {
        match self {
            Kind::Chat => "chat.completions",
            Kind::Text => "completions",
        }
    }
}

async fn chat_completions(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    body: Result<JsonBody<ChatCompletionRequest>, ApiError>,
) -> Response {
    let result = async {
        let payer = gw.authenticate(&headers)?;
        let JsonBody(req) = body?;
        let model = gw.model(&req.model)?;
        if req.messages.is_empty() {
            return Err(ApiError::invalid("messages", "messages is empty"));
        }
        let messages = req
            .messages
            .iter()
            .map(|m| m.text())
            .collect::<Result<Vec<_>, _>>()?;
        let prompt = model
            .template
            .render(&messages)
            .map_err(|e| ApiError::invalid("messages", e.to_string()))?;
        let params = req.params.check()?;
        answer(&gw, Kind::Chat, model, payer, prompt, String::new(), params).await
    }
    .await;
    respond(&gw, Kind::Chat, result)
}

async fn completions(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    body: Result<JsonBody<CompletionRequest>, ApiError>,
) -> Response {
    let result = async {
        let payer = gw.authenticate(&headers)?;
        let JsonBody(req) = body?;
        let model = gw.model(&req.model)?;
        let prompt = req.prompt.single()?.to_owned();
        let echo = if req.echo {
            prompt.clone()
        } else {
            String::new()
        };
        let params = req.params.check()?;
        answer(&gw, Kind::Text, model, payer, prompt, echo, params).await
    }
    .await;
    respond(&gw, Kind::Text, result)
}

fn respond(gw: &Gateway, kind: Kind, result: Result<Response, ApiError>) -> Response {
    let response = result.unwrap_or_else(IntoResponse::into_response);
    gw.metrics
        .request(kind.endpoint(), response.status().as_u16());
    response
}

/// Everything one answer needs to be described.
struct Answering {
    id: String,
    created: u64,
    kind: Kind,
    model: Arc<Model>,
    payer: Payer,
    prompt: String,
    prompt_tokens: usize,
    max_tokens: usize,
    sampling: Sampling,
    /// What the answer may cost, held in the payer's credit until its job is open.
    reservation: Option<Reservation>,
}

impl Answering {
    fn usage(&self, completion: usize) -> Value {
        json!({
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": self.prompt_tokens + completion,
        })
    }

    /// Stores the exact input (prompt and sampling settings) and output (text and token ids),
    /// which attesters recount and replay, opens the answer's escrow job (with a chain), and
    /// returns the `openledger` field: what the answer is attributed and paid by.
    async fn settle(&mut self, gw: &Gateway, output: &str, tokens: &[u32]) -> Value {
        let mut v = json!({
            "payer": self.payer.address,
            "model_hash": hex::encode(self.model.file_hash),
            "registry_id": self.model.registry_id,
            "input_hash": Value::Null,
            "output_hash": Value::Null,
            "job": Value::Null,
        });
        let Some(store) = gw.content.clone() else {
            return v;
        };
        let input = PromptRecord::new(self.prompt.clone(), self.max_tokens as u32, self.sampling);
        let mut output = CompletionRecord::new(output.to_owned(), tokens.to_vec());
        let mut output_tokens = tokens.len();
        if gw.testing.forge_output {
            tracing::warn!("testing.forge_output is set: storing an answer the model did not give");
            let forged = "This answer was written by the gateway, not the model.";
            output.tokens = self.model.tokenizer.encode(forged).unwrap_or_default();
            output.text = forged.into();
            output_tokens = output.tokens.len();
        }
        if gw.testing.under_report_tokens {
            tracing::warn!(
                "testing.under_report_tokens is set: charging for fewer tokens than served"
            );
            output_tokens = output_tokens.saturating_sub(1);
        }
        let (input, output) = (
            serde_json::to_vec(&input).map_err(|e| e.to_string()),
            serde_json::to_vec(&output).map_err(|e| e.to_string()),
        );
        // Written (fsynced) and, with IPFS, added and pinned before the job is opened: an
        // answer is charged only once the attesters can fetch it.
        let stored = async {
            let (input, output) = (input?, output?);
            let publish = |r: openledger_attester::error::Result<_>| {
                r.map(|p: openledger_attester::content::Published| p.sha256)
                    .map_err(|e| e.to_string())
            };
            let input = publish(store.publish(&input).await)?;
            Ok::<_, String>((input, publish(store.publish(&output).await)?))
        }
        .await;
        let (input_hash, output_hash) = match stored {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "storing the answer for attribution failed");
                v["error"] = json!(format!("the answer could not be stored: {e}"));
                return v;
            }
        };
        v["input_hash"] = json!(hex::encode(input_hash));
        v["output_hash"] = json!(hex::encode(output_hash));
        let (Some(billing), Some(reservation), Some(model_id)) =
            (&gw.billing, self.reservation.take(), self.model.registry_id)
        else {
            return v;
        };
        match billing
            .open(
                reservation,
                &self.payer,
                model_id,
                input_hash,
                output_hash,
                self.prompt_tokens,
                output_tokens,
            )
            .await
        {
            Ok(job) => {
                v["job"] = json!(job.job_id);
                v["tx_hash"] = json!(job.tx_hash);
            }
            Err(e) => {
                tracing::error!(error = %e, payer = %self.payer.address, "opening the answer's job failed");
                v["error"] = json!(format!("the answer's job could not be opened: {e}"));
            }
        }
        v
    }

    fn choice(&self, text: &str, finish: Option<&str>, delta: bool, first: bool) -> Value {
        match (self.kind, delta) {
            (Kind::Chat, false) => json!({
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": Value::Null,
                "finish_reason": finish,
            }),
            (Kind::Chat, true) => {
                let mut d = serde_json::Map::new();
                if first {
                    d.insert("role".into(), json!("assistant"));
                }
                if !text.is_empty() || first {
                    d.insert("content".into(), json!(text));
                }
                json!({"index": 0, "delta": d, "logprobs": Value::Null, "finish_reason": finish})
            }
            (Kind::Text, _) => json!({
                "index": 0,
                "text": text,
                "logprobs": Value::Null,
                "finish_reason": finish,
            }),
        }
    }

    fn object(&self, chunk: bool) -> &'static str {
        match (self.kind, chunk) {
            (Kind::Chat, false) => "chat.completion",
            (Kind::Chat, true) => "chat.completion.chunk",
            (Kind::Text, _) => "text_completion",
        }
    }

    fn envelope(&self, chunk: bool, choices: Vec<Value>) -> serde_json::Map<String, Value> {
        let mut m = serde_json::Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("object".into(), json!(self.object(chunk)));
        m.insert("created".into(), json!(self.created));
        m.insert("model".into(), json!(self.model.name));
        m.insert(
            "system_fingerprint".into(),
            json!(format!(
                "openledger-{}",
                &hex::encode(self.model.file_hash)[..12]
            )),
        );
        m.insert("choices".into(), Value::Array(choices));
        m
    }
}

/// Tokenises, checks the budget, queues the generation and answers (streamed or whole).
async fn answer(
    gw: &Arc<Gateway>,
    kind: Kind,
    model: Arc<Model>,
    payer: Payer,
    prompt: String,
    echo: String,
    params: Checked,
) -> Result<Response, ApiError> {
    if prompt.is_empty() {
        return Err(ApiError::invalid(
            if kind == Kind::Chat {
                "messages"
            } else {
                "prompt"
            },
            "the prompt is empty",
        ));
    }
    // Tokenising is linear in the prompt, and the body limit bounds the prompt.
    let ids = model
        .tokenizer
        .encode(&prompt)
        .map_err(|e| ApiError::invalid("prompt", e.to_string()))?;
    let room = model.context.saturating_sub(ids.len());
    if ids.is_empty() || room == 0 {
        return Err(ApiError::invalid(
            if kind == Kind::Chat {
                "messages"
            } else {
                "prompt"
            },
            format!(
                "the prompt is {} tokens; this model's context here is {} tokens, which must \
                 also hold at least one answer token",
                ids.len(),
                model.context
            ),
        ));
    }
    let max_tokens = match params.max_tokens {
        None => DEFAULT_MAX_TOKENS.min(room),
        Some(n) if n as usize <= room => n as usize,
        Some(n) => {
            return Err(ApiError::invalid(
                "max_tokens",
                format!(
                    "max_tokens {n} does not fit: the prompt is {} tokens and the context {}, \
                     leaving {room}",
                    ids.len(),
                    model.context
                ),
            ))
        }
    };
    let sampling = if params.temperature <= 0.0 {
        Sampling::GREEDY
    } else {
        Sampling {
            temperature: params.temperature,
            top_k: 0,
            top_p: params.top_p,
            // Unseeded sampling still draws from a seed, chosen here.
            seed: params.seed.unwrap_or_else(|| {
                let h = Sha256::digest(format!(
                    "{:?}{}",
                    std::time::SystemTime::now(),
                    gw.next_id("seed")
                ));
                u64::from_be_bytes(h[..8].try_into().unwrap_or_default())
            }),
        }
    };
    let prompt_tokens = ids.len();
    let reservation = match &gw.billing {
        None => None,
        Some(billing) => {
            let model_id = model.registry_id.ok_or_else(|| {
                ApiError::Internal(format!(
                    "model {} has no registry_id to be paid by",
                    model.name
                ))
            })?;
            Some(
                billing
                    .reserve(&payer, model_id, model.file_hash, prompt_tokens, max_tokens)
                    .await?,
            )
        }
    };
    let rx = gw
        .engine
        .submit(
            Arc::clone(&model),
            GenRequest {
                prompt: ids,
                max_tokens,
                sampling,
                stop: params.stop.clone(),
            },
        )
        .map_err(|b| ApiError::Busy(b.0))?;
    gw.metrics.prompt_tokens.inc_by(prompt_tokens as u64);
    let a = Answering {
        id: gw.next_id(if kind == Kind::Chat {
            "chatcmpl"
        } else {
            "cmpl"
        }),
        created: unix_now(),
        kind,
        model,
        payer,
        prompt,
        prompt_tokens,
        max_tokens,
        sampling,
        reservation,
    };
    if params.stream {
        Ok(stream(Arc::clone(gw), a, rx, echo, params.include_usage))
    } else {
        whole(gw, a, rx, echo).await
    }
}

async fn whole(
    gw: &Gateway,
    mut a: Answering,
    mut rx: mpsc::UnboundedReceiver<Event>,
    echo: String,
) -> Result<Response, ApiError> {
    let done = loop {
        match rx.recv().await {
            Some(Event::Text { .. }) => {}
            Some(Event::Done(d)) => break d,
            Some(Event::Failed(e)) => {
                return Err(ApiError::Internal(format!("the model failed: {e}")))
            }
            None => return Err(ApiError::Internal("the engine stopped".into())),
        }
    };
    let text = format!("{echo}{}", done.text);
    let mut body = a.envelope(
        false,
        vec![a.choice(&text, Some(done.reason.as_str()), false, false)],
    );
    body.insert("usage".into(), a.usage(done.tokens.len()));
    let receipt = a.settle(gw, &done.text, &done.tokens).await;
    let job = receipt["job"].as_u64();
    body.insert("openledger".into(), receipt);
    let mut response = Json(Value::Object(body)).into_response();
    if let Some(job) = job {
        response
            .headers_mut()
            .insert("x-openledger-job", HeaderValue::from(job));
    }
    Ok(response)
}

fn stream(
    gw: Arc<Gateway>,
    mut a: Answering,
    mut rx: mpsc::UnboundedReceiver<Event>,
    echo: String,
    include_usage: bool,
) -> Response {
    let (tx, out) = mpsc::channel::<Result<SseEvent, Infallible>>(16);
    let answer_id = HeaderValue::from_str(&a.id).ok();
    tokio::spawn(async move {
        // What the model generated and reached the client (an echoed prompt is not part of
        // it): a client that leaves early pays for exactly that.
        let (mut delivered, mut delivered_tokens) = (String::new(), Vec::<u32>::new());
        let send = |v: Value| {
            let tx = tx.clone();
            async move {
                tx.send(Ok(SseEvent::default().data(v.to_string())))
                    .await
                    .is_ok()
            }
        };
        let mut first = true;
        if a.kind == Kind::Chat || !echo.is_empty() {
            if !send(Value::Object(
                a.envelope(true, vec![a.choice(&echo, None, true, true)]),
            ))
            .await
            {
                return;
            }
            first = false;
        }
        let done = loop {
            // Waiting for the next token must not hide a client that left (a prompt's prefill
            // can take seconds): its going away closes `tx`.
            let event = tokio::select! {
                event = rx.recv() => event,
                _ = tx.closed() => {
                    drop(rx);
                    if !delivered_tokens.is_empty() {
                        a.settle(&gw, &delivered, &delivered_tokens).await;
                    }
                    return;
                }
            };
            match event {
                Some(Event::Text { text, tokens }) => {
                    let chunk = a.envelope(true, vec![a.choice(&text, None, true, first)]);
                    first = false;
                    // The client went away: dropping `rx` stops the decoding, and the job is
                    // opened for the text delivered before.
                    if !send(Value::Object(chunk)).await {
                        drop(rx);
                        if !delivered_tokens.is_empty() {
                            a.settle(&gw, &delivered, &delivered_tokens).await;
                        }
                        return;
                    }
                    delivered.push_str(&text);
                    delivered_tokens.extend(tokens);
                }
                Some(Event::Done(d)) => break d,
                Some(Event::Failed(e)) => {
                    let err = ApiError::Internal(format!("the model failed: {e}"));
                    let _ = send(err.body()).await;
                    if !delivered_tokens.is_empty() {
                        a.settle(&gw, &delivered, &delivered_tokens).await;
                    }
                    return;
                }
                None => return,
            }
        };
        let receipt = a.settle(&gw, &done.text, &done.tokens).await;
        let mut last = a.envelope(
            true,
            vec![a.choice("", Some(done.reason.as_str()), true, false)],
        );
        last.insert("usage".into(), a.usage(done.tokens.len()));
        last.insert("openledger".into(), receipt);
        if !send(Value::Object(last)).await {
            return;
        }
        if include_usage {
            let mut u = a.envelope(true, vec![]);
            u.insert("usage".into(), a.usage(done.tokens.len()));
            if !send(Value::Object(u)).await {
                return;
            }
        }
        let _ = tx.send(Ok(SseEvent::default().data("[DONE]"))).await;
    });
    let mut response = Sse::new(ReceiverStream::new(out))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    // The job id is known only after the answer; the last chunk carries it. This id finds it.
    if let Some(id) = answer_id {
        response.headers_mut().insert("x-openledger-answer", id);
    }
    response
}
