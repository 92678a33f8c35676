//! The OpenAI API of `openledger-serve` over the real SmolLM2-135M-Instruct model (fetched by
//! `scripts/fetch-models.sh`): answers equal the engine's own greedy decoding, streamed or
//! whole; 16 concurrent streams all complete correctly; bad input gets OpenAI-shaped errors;
//! a client that goes away stops the decoding.

use std::ops::ControlFlow;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use cosmwasm_std::{Addr, HexBinary, Uint128};
use gpu_oracle::llm::gguf::Gguf;
use gpu_oracle::llm::{
    generate, CpuKind, CpuWeights, Decoder, FastDecoder, GenerateOptions, LlamaWeights, Sampling,
};
use http_body_util::BodyExt;
use openledger_attester::inference::{
    self, parse_completion, parse_prompt, CompletionRecord, PromptRecord, Replayer, Verdict,
};
use openledger_serve::auth::{make_key, Verifier};
use openledger_serve::engine::{unix_now, Engine, EngineConfig, Model};
use openledger_serve::metrics::Metrics;
use openledger_serve::server::{router, Gateway};
use openledger_types::common::Method;
use openledger_types::escrow::{JobInfo, JobSpec, JobStatus, Rejection};
use serde_json::{json, Value};
use tower::ServiceExt;

const DEV_MNEMONIC: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const CHAIN: &str = "openledger-test-1";
const GATEWAY: &str = "open1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjnp7du";
const MODEL: &str = "smollm2-135m-instruct";

struct Fixture {
    gw: Arc<Gateway>,
    model: Arc<Model>,
    weights: LlamaWeights,
    content: std::path::PathBuf,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let path = gpu_oracle::llm::smollm2_gguf_path();
        let model = Arc::new(
            Model::load(MODEL, Some(1), &path, 512)
                .unwrap_or_else(|e| panic!("{e} (run scripts/fetch-models.sh)")),
        );
        let weights = LlamaWeights::from_gguf(&Gguf::open(&path).expect("gguf")).expect("weights");
        let metrics = Arc::new(Metrics::new());
        let engine = Engine::start(
            EngineConfig {
                workers: 2,
                max_sequences: 16,
                max_waiting: 8,
            },
            Arc::clone(&metrics),
        )
        .expect("engine");
        let content =
            std::env::temp_dir().join(format!("openledger-serve-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&content);
        let gw = Arc::new(Gateway::new(
            engine,
            vec![Arc::clone(&model)],
            Verifier {
                chain_id: CHAIN.into(),
                gateway: GATEWAY.into(),
                prefix: "open".into(),
            },
            metrics,
            Some(openledger_attester::content::ContentStore::new(vec![
                content.clone(),
            ])),
            None,
        ));
        Fixture {
            gw,
            model,
            weights,
            content,
        }
    })
}

fn key_for(gateway: &str, expires: u64) -> String {
    make_key(DEV_MNEMONIC, 0, "open", CHAIN, gateway, expires, None)
        .expect("key")
        .0
}

fn key() -> String {
    key_for(GATEWAY, unix_now() + 3600)
}

fn post(path: &str, key: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut r = Request::post(path).header("content-type", "application/json");
    if let Some(k) = key {
        r = r.header("authorization", format!("Bearer {k}"));
    }
    r.body(body.into()).expect("request")
}

async fn call(req: Request<Body>) -> (StatusCode, Value) {
    let resp = router(Arc::clone(&fixture().gw))
        .oneshot(req)
        .await
        .expect("infallible");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| json!({"raw": String::from_utf8_lossy(&bytes)}));
    (status, v)
}

/// The SSE `data:` payloads of a streamed answer.
async fn stream(body: Value) -> Vec<String> {
    let resp = router(Arc::clone(&fixture().gw))
        .oneshot(post("/v1/chat/completions", Some(&key()), body.to_string()))
        .await
        .expect("infallible");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|l| l.strip_prefix("data: ").map(str::to_owned))
        .collect()
}

/// What the engine itself answers, greedily, to a chat prompt.
fn reference(user: &str, max_tokens: usize) -> (String, usize, usize) {
    let f = fixture();
    let prompt = f
        .model
        .template
        .render(&[("user".into(), user.into())])
        .expect("template");
    let ids = f.model.tokenizer.encode(&prompt).expect("encode");
    let mut dec = FastDecoder::new(&f.weights, ids.len() + max_tokens).expect("decoder");
    let opts = GenerateOptions {
        max_new_tokens: max_tokens,
        sampling: Sampling::GREEDY,
        stop_tokens: f.model.end_tokens.clone(),
    };
    let mut out = generate(&mut dec as &mut dyn Decoder, &ids, &opts, |_| {
        ControlFlow::Continue(())
    })
    .expect("generate");
    if out.last().is_some_and(|t| f.model.end_tokens.contains(t)) {
        out.pop();
    }
    (
        f.model.tokenizer.decode(&out).expect("decode"),
        ids.len(),
        out.len(),
    )
}

fn chat(user: &str, max_tokens: usize, stream: bool) -> Value {
    json!({
        "model": MODEL,
        "messages": [{"role": "user", "content": user}],
        "max_tokens": max_tokens,
        "temperature": 0,
        "stream": stream,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_list_names_the_served_model_and_its_hash() {
    let (status, v) = call(Request::get("/v1/models").body(Body::empty()).expect("req")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["object"], "list");
    assert_eq!(v["data"][0]["id"], MODEL);
    assert_eq!(v["data"][0]["object"], "model");
    assert_eq!(
        v["data"][0]["openledger"]["model_hash"],
        hex::encode(fixture().model.file_hash)
    );
    assert_eq!(v["data"][0]["openledger"]["registry_id"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_answer_is_the_models_greedy_answer_and_is_stored_for_attribution() {
    let (want, prompt_tokens, completion_tokens) = reference("What is the capital of France?", 12);
    let (status, v) = call(post(
        "/v1/chat/completions",
        Some(&key()),
        chat("What is the capital of France?", 12, false).to_string(),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert_eq!(v["choices"][0]["message"]["content"], want);
    assert_eq!(v["usage"]["prompt_tokens"], prompt_tokens);
    assert_eq!(v["usage"]["completion_tokens"], completion_tokens);
    assert_eq!(
        v["usage"]["total_tokens"],
        prompt_tokens + completion_tokens
    );
    let finish = if completion_tokens == 12 {
        "length"
    } else {
        "stop"
    };
    assert_eq!(v["choices"][0]["finish_reason"], finish);
    // The exact prompt and answer are in the content store under their hashes, as attesters
    // will fetch them, and the answer replays as the model's.
    let ol = &v["openledger"];
    assert_eq!(ol["payer"], "open19rl4cm2hmr8afy4kldpxz3fka4jguq0attl9rz");
    let (prompt, answer) = stored(ol);
    assert_eq!(answer.text, want);
    assert_eq!(answer.tokens.len(), completion_tokens);
    assert!(
        prompt
            .prompt
            .ends_with("What is the capital of France?<|im_end|>\n<|im_start|>assistant\n"),
        "{}",
        prompt.prompt
    );
    assert_eq!((prompt.max_tokens, prompt.sampling.temperature), (12, 0.0));
    assert_eq!(
        replay(ol, prompt_tokens, completion_tokens),
        Verdict::Verified {
            exact: completion_tokens,
            tolerated: 0
        }
    );
}

/// The prompt and completion records an answer's `openledger` field names.
fn stored(ol: &Value) -> (PromptRecord, CompletionRecord) {
    let store = openledger_attester::content::ContentStore::new(vec![fixture().content.clone()]);
    let get = |field: &str| {
        let hash = hex::decode(ol[field].as_str().expect("hash")).expect("hex");
        store.get(&hash).expect("stored")
    };
    (
        parse_prompt(&get("input_hash")).expect("prompt record"),
        parse_completion(&get("output_hash")).expect("completion record"),
    )
}

/// A gateway-opened job charged for these counts, over the answer's stored records.
fn job_for(ol: &Value, input_tokens: usize, output_tokens: usize) -> JobInfo {
    let hash = |field: &str| HexBinary::from_hex(ol[field].as_str().expect("hash")).expect("hex");
    JobInfo {
        id: 1,
        payer: Addr::unchecked("payer"),
        model_owner: Addr::unchecked("owner"),
        spec: JobSpec {
            method: Method::SuffixSpan,
            model_id: 1,
            model_hash: HexBinary::from(fixture().model.file_hash.to_vec()),
            adapter_hash: None,
            datanets: vec![],
            input_hash: hash("input_hash"),
            output_hash: hash("output_hash"),
            method_params: None,
        },
        spec_hash: HexBinary::from(vec![0; 32]),
        input_tokens: input_tokens as u64,
        output_tokens: output_tokens as u64,
        fee: Uint128::zero(),
        platform_fee: Uint128::zero(),
        status: JobStatus::Committing,
        created_height: 1,
        commit_deadline: 2,
        reveal_deadline: 3,
        challenge_deadline: None,
        total_stake: Uint128::zero(),
        result: None,
        challenger: None,
        challenge_bond: Uint128::zero(),
        challenge_resolve_deadline: None,
        max_contributions: 0,
    }
}

/// (prompt, completion) tokens of an answer's `usage`.
fn usage(v: &Value) -> (usize, usize) {
    let count = |k: &str| v["usage"][k].as_u64().expect("usage") as usize;
    (count("prompt_tokens"), count("completion_tokens"))
}

/// What an attester finds replaying the answer `ol` names, charged for these counts.
fn replay(ol: &Value, input_tokens: usize, output_tokens: usize) -> Verdict {
    replay_bytes(ol, input_tokens, output_tokens, None)
}

fn replay_bytes(
    ol: &Value,
    input_tokens: usize,
    output_tokens: usize,
    output: Option<&CompletionRecord>,
) -> Verdict {
    static WEIGHTS: OnceLock<CpuWeights> = OnceLock::new();
    let f = fixture();
    let weights =
        WEIGHTS.get_or_init(|| CpuWeights::new(&f.weights, CpuKind::Fast).expect("weights"));
    let replayer = Replayer {
        tokenizer: &f.model.tokenizer,
        weights: weights.clone(),
        context: f.weights.config.context,
    };
    let (prompt, answer) = stored(ol);
    let output = output.unwrap_or(&answer);
    inference::check(
        &replayer,
        &job_for(ol, input_tokens, output_tokens),
        true,
        &serde_json::to_vec(&prompt).expect("json"),
        &serde_json::to_vec(output).expect("json"),
    )
    .expect("check")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sampled_and_stopped_answers_replay_exactly_and_forgeries_do_not() {
    let f = fixture();
    // seeded sampling, and unseeded (the gateway draws and records a seed)
    for seed in [json!(7), Value::Null] {
        let (status, v) = call(post(
            "/v1/chat/completions",
            Some(&key()),
            json!({"model": MODEL, "messages": [{"role": "user", "content": "Tell me a story."}],
                   "max_tokens": 16, "temperature": 0.9, "top_p": 0.95, "seed": seed})
            .to_string(),
        ))
        .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let ol = &v["openledger"];
        let (p, c) = usage(&v);
        let (prompt, _) = stored(ol);
        assert_eq!(prompt.sampling.temperature, 0.9);
        if let Some(seed) = seed.as_u64() {
            assert_eq!(prompt.sampling.seed, seed);
        }
        assert_eq!(
            replay(ol, p, c),
            Verdict::Verified {
                exact: c,
                tolerated: 0
            }
        );
        // charged for fewer tokens than served, either side
        for (pi, ci) in [(p - 1, c), (p, c - 1), (p + 1, c)] {
            assert!(
                matches!(
                    replay(ol, pi, ci),
                    Verdict::Rejected {
                        reason: Rejection::TokenCount,
                        ..
                    }
                ),
                "{pi} / {ci}"
            );
        }
    }
    // a stop sequence cuts the text, not the tokens: still the model's
    let (status, v) = call(post(
        "/v1/completions",
        Some(&key()),
        json!({"model": MODEL, "prompt": "1, 2, 3, 4,", "max_tokens": 12, "temperature": 0, "stop": [","]})
            .to_string(),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let ol = &v["openledger"];
    let (p, c) = usage(&v);
    assert!(matches!(
        replay(ol, p, c),
        Verdict::Verified { tolerated: 0, .. }
    ));

    // forgeries of a greedy answer
    let (status, v) = call(post(
        "/v1/chat/completions",
        Some(&key()),
        chat("What is the capital of France?", 12, false).to_string(),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let ol = &v["openledger"];
    let (_, answer) = stored(ol);
    let (p, _) = usage(&v);
    let rejected =
        |forged: &CompletionRecord| match replay_bytes(ol, p, forged.tokens.len(), Some(forged)) {
            Verdict::Rejected { reason, why } => (reason, why),
            v => panic!("forgery accepted: {v:?}"),
        };
    // an answer the model did not write, spelled by its own tokens
    let text = "Berlin is the capital of France.";
    let forged =
        CompletionRecord::new(text.into(), f.model.tokenizer.encode(text).expect("encode"));
    assert_eq!(rejected(&forged).0, Rejection::Output);
    // the real tokens under other text
    let mut other_text = answer.clone();
    other_text.text = "Paris, of course.".into();
    assert_eq!(rejected(&other_text).0, Rejection::Output);
    // one token changed for one the model found unlikely
    let mut one_token = answer.clone();
    let last = one_token.tokens.len() - 1;
    one_token.tokens[last] = f.model.tokenizer.encode(" zebra").expect("encode")[0];
    one_token.text = String::new();
    let (reason, why) = rejected(&one_token);
    assert_eq!(reason, Rejection::Output);
    assert!(why.contains(&format!("answer token {last}")), "{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_answer_is_the_whole_answer_in_pieces() {
    let (want, _, completion_tokens) = reference("Name three colours.", 10);
    let events = stream(chat("Name three colours.", 10, true)).await;
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).expect("json"))
        .collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, want);
    let last = chunks.last().expect("chunks");
    assert_eq!(last["object"], "chat.completion.chunk");
    assert!(last["choices"][0]["finish_reason"].is_string());
    assert_eq!(last["usage"]["completion_tokens"], completion_tokens);
    assert!(last["openledger"]["output_hash"].is_string());
    assert!(chunks.iter().all(|c| c["id"] == chunks[0]["id"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_streams_all_complete_correctly() {
    // Four questions, each asked by four clients at once: every answer must be its question's.
    let distinct: Vec<String> = (0..4).map(|i| format!("Say the number {i}.")).collect();
    let expected: Vec<String> = distinct.iter().map(|q| reference(q, 6).0).collect();
    let questions: Vec<&String> = distinct.iter().cycle().take(16).collect();
    let wants: Vec<&String> = expected.iter().cycle().take(16).collect();
    let started = Instant::now();
    let tasks: Vec<_> = questions
        .iter()
        .map(|&q| tokio::spawn(stream(chat(q, 6, true))))
        .collect();
    for (task, want) in tasks.into_iter().zip(&wants) {
        let events = task.await.expect("task");
        assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
        let text: String = events[..events.len() - 1]
            .iter()
            .map(|e| serde_json::from_str::<Value>(e).expect("json"))
            .filter_map(|c| {
                c["choices"][0]["delta"]["content"]
                    .as_str()
                    .map(str::to_owned)
            })
            .collect();
        assert_eq!(&text, *want);
    }
    eprintln!(
        "16 concurrent streams of ≤ 6 tokens: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_echo_and_stop_sequences() {
    let f = fixture();
    let (status, v) = call(post(
        "/v1/completions",
        Some(&key()),
        json!({"model": MODEL, "prompt": "1, 2, 3, 4,", "max_tokens": 12, "temperature": 0})
            .to_string(),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["object"], "text_completion");
    let full = v["choices"][0]["text"].as_str().expect("text").to_owned();
    assert!(!full.is_empty());
    // Stop at the first comma of the continuation: the text before it, finish "stop".
    let Some(cut) = full.find(',') else {
        panic!("no comma in {full:?}")
    };
    let (status, v) = call(post(
        "/v1/completions",
        Some(&key()),
        json!({"model": MODEL, "prompt": "1, 2, 3, 4,", "max_tokens": 12, "temperature": 0, "stop": [","], "echo": true}).to_string(),
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(
        v["choices"][0]["text"],
        format!("1, 2, 3, 4,{}", &full[..cut])
    );
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    let prompt_tokens = f
        .model
        .tokenizer
        .encode("1, 2, 3, 4,")
        .expect("encode")
        .len();
    assert_eq!(v["usage"]["prompt_tokens"], prompt_tokens);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_openai_shaped_errors_and_no_answer() {
    let good = chat("hi", 2, false).to_string();
    let long_prompt = "word ".repeat(600);
    let cases: Vec<(&str, Request<Body>, StatusCode, &str)> = vec![
        (
            "no key",
            post("/v1/chat/completions", None, good.clone()),
            StatusCode::UNAUTHORIZED,
            "authentication_error",
        ),
        (
            "an OpenAI key",
            post("/v1/chat/completions", Some("sk-abc"), good.clone()),
            StatusCode::UNAUTHORIZED,
            "authentication_error",
        ),
        (
            "another gateway's key",
            post(
                "/v1/chat/completions",
                Some(&key_for("open1other", unix_now() + 60)),
                good.clone(),
            ),
            StatusCode::UNAUTHORIZED,
            "authentication_error",
        ),
        (
            "an expired key",
            post(
                "/v1/chat/completions",
                Some(&key_for(GATEWAY, unix_now() - 1)),
                good.clone(),
            ),
            StatusCode::UNAUTHORIZED,
            "authentication_error",
        ),
        (
            "malformed JSON",
            post("/v1/chat/completions", Some(&key()), "{\"model\":"),
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
        ),
        (
            "unknown model",
            post(
                "/v1/chat/completions",
                Some(&key()),
                json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]})
                    .to_string(),
            ),
            StatusCode::NOT_FOUND,
            "invalid_request_error",
        ),
        (
            "no messages",
            post(
                "/v1/chat/completions",
                Some(&key()),
                json!({"model": MODEL, "messages": []}).to_string(),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
        ),
        (
            "empty prompt",
            post(
                "/v1/completions",
                Some(&key()),
                json!({"model": MODEL, "prompt": ""}).to_string(),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
        ),
        (
            "prompt past the context",
            post(
                "/v1/completions",
                Some(&key()),
                json!({"model": MODEL, "prompt": long_prompt}).to_string(),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
        ),
        (
            "max_tokens past the context",
            post(
                "/v1/completions",
                Some(&key()),
                json!({"model": MODEL, "prompt": "x", "max_tokens": 100000}).to_string(),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
        ),
        (
            "max_tokens 0",
            post(
                "/v1/completions",
                Some(&key()),
                json!({"model": MODEL, "prompt": "x", "max_tokens": 0}).to_string(),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
        ),
        (
            "n = 3",
            post(
                "/v1/chat/completions",
                Some(&key()),
                json!({"model": MODEL, "messages": [{"role": "user", "content": "x"}], "n": 3})
                    .to_string(),
            ),
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
        ),
        (
            "a body past 1 MiB",
            post("/v1/completions", Some(&key()), vec![b' '; (1 << 20) + 1]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
        ),
        (
            "an unknown route",
            post("/v1/embeddings", Some(&key()), good.clone()),
            StatusCode::NOT_FOUND,
            "invalid_request_error",
        ),
    ];
    for (what, req, status, kind) in cases {
        let (got, v) = call(req).await;
        assert_eq!(got, status, "{what}: {v}");
        assert_eq!(v["error"]["type"], kind, "{what}: {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}: {v}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_goes_away_stops_the_decoding() {
    let gw = &fixture().gw;
    let cancelled = || gw.metrics.cancelled.get();
    let before = cancelled();
    let resp = router(Arc::clone(gw))
        .oneshot(post(
            "/v1/chat/completions",
            Some(&key()),
            chat("Write a long story about a dragon.", 400, true).to_string(),
        ))
        .await
        .expect("infallible");
    let mut body = resp.into_body();
    // Read until the first answer text, then hang up.
    let mut seen = String::new();
    while !seen.contains("\"content\":\"") || seen.matches("data: ").count() < 3 {
        let frame = body.frame().await.expect("frame").expect("ok");
        if let Some(d) = frame.data_ref() {
            seen.push_str(&String::from_utf8_lossy(d));
        }
    }
    drop(body);
    let deadline = Instant::now() + Duration::from_secs(60);
    while cancelled() == before {
        assert!(
            Instant::now() < deadline,
            "decoding did not stop after the client left"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(cancelled(), before + 1);
}

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_abandoned_streams_leave_nothing_behind() {
    // A gateway of its own, so the other tests' answers do not show in its gauges.
    let f = fixture();
    let metrics = Arc::new(Metrics::new());
    let engine = Engine::start(
        EngineConfig {
            workers: 1,
            max_sequences: 4,
            max_waiting: 2_000,
        },
        Arc::clone(&metrics),
    )
    .expect("engine");
    let gw = Arc::new(Gateway::new(
        engine,
        vec![Arc::clone(&f.model)],
        Verifier {
            chain_id: CHAIN.into(),
            gateway: GATEWAY.into(),
            prefix: "open".into(),
        },
        Arc::clone(&metrics),
        None,
        None,
    ));
    let key = key();
    let before = rss_kib();
    for i in 0..1_000 {
        let resp = router(Arc::clone(&gw))
            .oneshot(post(
                "/v1/chat/completions",
                Some(&key),
                chat(&format!("Tell me about the number {i}."), 64, true).to_string(),
            ))
            .await
            .expect("infallible");
        assert_eq!(resp.status(), StatusCode::OK);
        // Hang up without reading a byte.
        drop(resp);
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while metrics.cancelled.get() < 1_000 {
        assert!(
            Instant::now() < deadline,
            "only {} of 1000 abandoned answers were stopped",
            metrics.cancelled.get()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(metrics.cancelled.get(), 1_000);
    assert_eq!(metrics.active_sequences.get(), 0);
    assert_eq!(metrics.queue_depth.get(), 0);
    // One leaked KV cache per answer would be ~3.9 GB; the allocator may keep some pages.
    let grown = rss_kib().saturating_sub(before);
    eprintln!(
        "1000 abandoned streams: resident memory grew {} MiB",
        grown / 1024
    );
    assert!(
        grown < 256 * 1024,
        "resident memory grew {} MiB",
        grown / 1024
    );
}
