//! The gateway's overhead: streamed chat answers through the OpenAI HTTP API (real HTTP/1.1
//! clients, one connection each, reading the SSE `data:` lines as they arrive) next to the same
//! requests submitted straight to [`Engine::submit`], on the same engine, in the same run.
//! Reports tokens/s and time to first token (p50, p95) per concurrency level, and HTTP/engine.
//!
//! `scripts/bench-serve.sh` (or `cargo bench -p openledger-serve --bench serve -- --help`).
//! Needs the SmolLM2-135M-Instruct GGUF (`scripts/fetch-models.sh`).

#![deny(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use gpu_oracle::llm::Sampling;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use openledger_attester::content::ContentStore;
use openledger_serve::auth::{make_key, Verifier};
use openledger_serve::engine::{unix_now, Engine, EngineConfig, Event, GenRequest, Model};
use openledger_serve::metrics::Metrics;
use openledger_serve::server::{router, Gateway};
use serde_json::{json, Value};

const DEV_MNEMONIC: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const CHAIN: &str = "openledger-bench-1";
const GATEWAY: &str = "open1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjnp7du";
const MODEL: &str = "smollm2-135m-instruct";
/// Asks for a long answer, so that greedy decoding runs to `max_tokens` instead of stopping
/// early: every request then costs the same, and tokens/s compare like for like.
const PROMPT: &str =
    "Write a long story about a lighthouse keeper who finds a message in a bottle.";

#[derive(Parser)]
#[command(about = "openledger-serve: HTTP gateway vs in-process engine (tokens/s, TTFT)")]
struct Args {
    /// Tokens per answer (greedy; the prompt asks for more, so each answer runs to this).
    #[arg(long, default_value_t = 16)]
    max_tokens: usize,
    /// Concurrent streaming clients per level.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    clients: Vec<usize>,
    /// Engine worker threads (0: one per core, as `[engine] workers = 0`).
    #[arg(long, default_value_t = 0)]
    workers: usize,
    /// Answers decoded at once (the gateway's default); the rest queue.
    #[arg(long, default_value_t = 16)]
    max_sequences: usize,
    /// The GGUF (default: `gpu_oracle::llm::smollm2_gguf_path()`).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Where the results go as JSON (default: `<target dir>/bench-serve.json`).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// One answer, as its client saw it.
struct Answer {
    /// From the request (HTTP: before connecting) to the first answer text.
    ttft: Duration,
    tokens: usize,
    text: String,
    finish: String,
}

/// One concurrency level of one path.
struct Level {
    answers: Vec<Answer>,
    wall: Duration,
    /// CPU seconds the engine and gateway threads used (see [`serving_cpu_s`]).
    cpu_s: f64,
}

impl Level {
    fn tokens(&self) -> usize {
        self.answers.iter().map(|a| a.tokens).sum()
    }

    fn tokens_per_s(&self) -> f64 {
        self.tokens() as f64 / self.wall.as_secs_f64()
    }

    fn tokens_per_cpu_s(&self) -> f64 {
        self.tokens() as f64 / self.cpu_s
    }

    /// TTFT percentile in seconds (nearest rank).
    fn ttft(&self, p: f64) -> f64 {
        let mut t: Vec<f64> = self.answers.iter().map(|a| a.ttft.as_secs_f64()).collect();
        t.sort_by(f64::total_cmp);
        if t.is_empty() {
            return f64::NAN;
        }
        t[((t.len() as f64 * p).ceil() as usize).clamp(1, t.len()) - 1]
    }

    fn json(&self) -> Value {
        json!({
            "answers": self.answers.len(),
            "completion_tokens": self.tokens(),
            "wall_s": self.wall.as_secs_f64(),
            "tokens_per_s": self.tokens_per_s(),
            "cpu_s": self.cpu_s,
            "tokens_per_cpu_s": self.tokens_per_cpu_s(),
            "ttft_p50_s": self.ttft(0.50),
            "ttft_p95_s": self.ttft(0.95),
        })
    }
}

/// What both paths send.
struct Job {
    model: Arc<Model>,
    prompt: Vec<u32>,
    max_tokens: usize,
    /// The same request as the OpenAI API's JSON.
    body: Bytes,
    key: String,
}

impl Job {
    fn request(&self) -> GenRequest {
        GenRequest {
            prompt: self.prompt.clone(),
            max_tokens: self.max_tokens,
            sampling: Sampling::GREEDY,
            stop: vec![],
        }
    }
}

/// `clients` requests submitted at once straight to the engine; each is read to its end.
async fn engine_level(engine: &Engine, job: &Job, clients: usize) -> anyhow::Result<Level> {
    let (started, cpu) = (Instant::now(), serving_cpu_s());
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let t0 = Instant::now();
        let mut rx = engine
            .submit(Arc::clone(&job.model), job.request())
            .map_err(|b| anyhow::anyhow!("engine busy ({} waiting)", b.0))?;
        tasks.push(tokio::spawn(async move {
            let mut ttft = None;
            loop {
                match rx.recv().await {
                    Some(Event::Text { .. }) => {
                        ttft.get_or_insert_with(|| t0.elapsed());
                    }
                    Some(Event::Done(d)) => {
                        return Ok(Answer {
                            ttft: ttft.unwrap_or_else(|| t0.elapsed()),
                            tokens: d.tokens.len(),
                            text: d.text,
                            finish: d.reason.as_str().to_owned(),
                        })
                    }
                    Some(Event::Failed(e)) => bail!("the model failed: {e}"),
                    None => bail!("the engine stopped"),
                }
            }
        }));
    }
    let mut answers = Vec::with_capacity(clients);
    for t in tasks {
        answers.push(t.await??);
    }
    Ok(Level {
        answers,
        wall: started.elapsed(),
        cpu_s: serving_cpu_s() - cpu,
    })
}

/// CPU seconds (user + system) this process has used, less its main thread's, which runs the
/// clients: what the engine workers and the gateway's threads cost. Other processes on the
/// machine slow the wall clock, not this, so tokens per CPU second still compare when the
/// cores are shared. (`/proc` counts in USER_HZ ticks, 100 per second on Linux; NaN elsewhere.)
fn serving_cpu_s() -> f64 {
    fn ticks(stat: &str) -> Option<u64> {
        // After the `(comm)` field: state is field 3, utime 14, stime 15.
        let mut f = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
        Some(f.next()?.parse::<u64>().ok()? + f.next()?.parse::<u64>().ok()?)
    }
    let read = |p: String| std::fs::read_to_string(p).ok().as_deref().and_then(ticks);
    let pid = std::process::id();
    match (
        read("/proc/self/stat".into()),
        read(format!("/proc/self/task/{pid}/stat")),
    ) {
        (Some(all), Some(main)) => all.saturating_sub(main) as f64 / 100.0,
        _ => f64::NAN,
    }
}

/// 1-minute load average (other work on the machine), when `/proc` has it.
fn load1() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// One streamed chat completion over its own HTTP/1.1 connection.
async fn http_answer(addr: SocketAddr, job: Arc<Job>) -> anyhow::Result<Answer> {
    let t0 = Instant::now();
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await?;
    tokio::spawn(conn);
    let req = hyper::Request::post("/v1/chat/completions")
        .header(hyper::header::HOST, addr.to_string())
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(hyper::header::AUTHORIZATION, format!("Bearer {}", job.key))
        .body(Full::new(job.body.clone()))?;
    let resp = sender.send_request(req).await?;
    if resp.status() != hyper::StatusCode::OK {
        let status = resp.status();
        let body = resp.into_body().collect().await?.to_bytes();
        bail!("HTTP {status}: {}", String::from_utf8_lossy(&body));
    }
    let mut body = resp.into_body();
    let (mut buf, mut text) = (Vec::new(), String::new());
    let (mut ttft, mut tokens, mut finish, mut done) = (None, None, None, false);
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        buf.extend_from_slice(&data);
        // Whole lines only: a frame may end mid-line.
        while let Some(end) = buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buf.drain(..=end).collect();
            let Some(payload) = line.strip_prefix(b"data: ") else {
                continue;
            };
            let payload = payload.trim_ascii_end();
            if payload == b"[DONE]" {
                done = true;
                continue;
            }
            let chunk: Value = serde_json::from_slice(payload)
                .with_context(|| format!("SSE data: {}", String::from_utf8_lossy(payload)))?;
            if chunk.get("error").is_some() {
                bail!("error in the stream: {chunk}");
            }
            let choice = &chunk["choices"][0];
            if let Some(piece) = choice["delta"]["content"]
                .as_str()
                .filter(|s| !s.is_empty())
            {
                ttft.get_or_insert_with(|| t0.elapsed());
                text.push_str(piece);
            }
            if let Some(f) = choice["finish_reason"].as_str() {
                finish = Some(f.to_owned());
            }
            if let Some(n) = chunk["usage"]["completion_tokens"].as_u64() {
                tokens = Some(n as usize);
            }
        }
    }
    let (Some(tokens), Some(finish), true) = (tokens, finish, done) else {
        bail!("the stream ended without its last chunk and [DONE]");
    };
    Ok(Answer {
        ttft: ttft.unwrap_or_else(|| t0.elapsed()),
        tokens,
        text,
        finish,
    })
}

/// `clients` streaming clients started at once against the gateway.
async fn http_level(addr: SocketAddr, job: &Arc<Job>, clients: usize) -> anyhow::Result<Level> {
    let (started, cpu) = (Instant::now(), serving_cpu_s());
    let tasks: Vec<_> = (0..clients)
        .map(|_| tokio::spawn(http_answer(addr, Arc::clone(job))))
        .collect();
    let mut answers = Vec::with_capacity(clients);
    for t in tasks {
        answers.push(t.await??);
    }
    Ok(Level {
        answers,
        wall: started.elapsed(),
        cpu_s: serving_cpu_s() - cpu,
    })
}

/// Greedy decoding of one prompt is one answer, whatever the concurrency; a difference would
/// mean one path served something else, and its figures would not compare.
fn check_same(what: &str, level: &Level, want: &Answer) -> anyhow::Result<()> {
    for a in &level.answers {
        if a.text != want.text || a.tokens != want.tokens || a.finish != want.finish {
            bail!(
                "{what}: answer {:?} ({} tokens, {}) differs from the engine's {:?} ({} tokens, {})",
                a.text,
                a.tokens,
                a.finish,
                want.text,
                want.tokens,
                want.finish
            );
        }
    }
    Ok(())
}

/// `<target dir>/bench-serve.json`: this binary is `<target dir>/<profile>/deps/serve-…`.
fn default_json_path() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.join("bench-serve.json")))
        .unwrap_or_else(|| PathBuf::from("bench-serve.json"))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.max_tokens == 0 || args.clients.contains(&0) {
        bail!("--max-tokens and every --clients level must be at least 1");
    }
    let workers = match args.workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let path = args
        .model
        .clone()
        .unwrap_or_else(gpu_oracle::llm::smollm2_gguf_path);
    let loading = Instant::now();
    let model = Arc::new(
        Model::load(MODEL, Some(1), &path, 2048)
            .with_context(|| "loading the model (run scripts/fetch-models.sh)")?,
    );
    let load_s = loading.elapsed().as_secs_f64();
    let rendered = model
        .template
        .render(&[("user".into(), PROMPT.into())])
        .context("chat template")?;
    let prompt = model.tokenizer.encode(&rendered).context("tokenizer")?;
    let most = args.clients.iter().copied().max().unwrap_or(1);
    let cfg = EngineConfig {
        workers,
        max_sequences: args.max_sequences,
        // Every client of the largest level is queued, none refused (the gateway's default 64
        // is enough for 64 clients; larger levels need more).
        max_waiting: most.max(64),
    };
    let metrics = Arc::new(Metrics::new());
    let engine = Engine::start(cfg, Arc::clone(&metrics)).context("engine")?;
    // As `openledger-serve` without `[chain]`: answers stored for attribution, not charged.
    let content =
        std::env::temp_dir().join(format!("openledger-bench-serve-{}", std::process::id()));
    let gw = Arc::new(Gateway::new(
        engine,
        vec![Arc::clone(&model)],
        Verifier {
            chain_id: CHAIN.into(),
            gateway: GATEWAY.into(),
            prefix: "open".into(),
        },
        metrics,
        Some(ContentStore::new(vec![content.clone()])),
        None,
    ));
    let key = make_key(
        DEV_MNEMONIC,
        0,
        "open",
        CHAIN,
        GATEWAY,
        unix_now() + 86_400,
        None,
    )
    .context("API key")?
    .0;
    let job = |max_tokens: usize| {
        Arc::new(Job {
            model: Arc::clone(&model),
            prompt: prompt.clone(),
            max_tokens,
            body: Bytes::from(
                json!({
                    "model": MODEL,
                    "messages": [{"role": "user", "content": PROMPT}],
                    "max_tokens": max_tokens,
                    "temperature": 0,
                    "stream": true,
                })
                .to_string(),
            ),
            key: key.clone(),
        })
    };

    // The gateway as `openledger-serve` runs it: its own multi-threaded runtime (one thread per
    // core), serving a real TCP port.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("gateway")
        .build()?;
    let listener = server_rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let app = router(Arc::clone(&gw));
    server_rt.spawn(async move { axum::serve(listener, app).await });
    // The clients (and the engine-only readers, so both paths read their answers the same way):
    // one thread, as waiting on sockets and channels needs little.
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;

    println!(
        "openledger-serve bench: {} ({}, loaded in {load_s:.1} s), prompt {} tokens, \
         max_tokens {}, greedy; engine: {workers} workers, {} answers at once; gateway on \
         http://{addr} (no chain, answers stored)",
        path.file_name().map_or_else(
            || path.display().to_string(),
            |f| f.to_string_lossy().into_owned()
        ),
        &hex::encode(model.file_hash)[..12],
        prompt.len(),
        args.max_tokens,
        cfg.max_sequences,
    );

    let results = client_rt.block_on(async {
        // Warm-up, both paths (first-touch page faults, the first connection), and the
        // reference answer every later one must equal.
        let reference = engine_level(&gw.engine, &job(args.max_tokens), 1).await?;
        http_level(addr, &job(2), 1).await?;
        let Some(want) = reference.answers.into_iter().next() else {
            bail!("no reference answer");
        };
        if want.finish != "length" {
            eprintln!(
                "note: the answer stops after {} tokens, before max_tokens {}",
                want.tokens, args.max_tokens
            );
        }
        let job = job(args.max_tokens);
        let mut results = Vec::new();
        for &clients in &args.clients {
            let load_before = load1();
            eprintln!("{clients} clients: engine…");
            let engine = engine_level(&gw.engine, &job, clients).await?;
            check_same("engine", &engine, &want)?;
            eprintln!(
                "{clients} clients: engine {:.1} s; HTTP…",
                engine.wall.as_secs_f64()
            );
            let http = http_level(addr, &job, clients).await?;
            check_same("HTTP", &http, &want)?;
            eprintln!("{clients} clients: HTTP {:.1} s", http.wall.as_secs_f64());
            results.push((clients, engine, http, load_before, load1()));
        }
        Ok::<_, anyhow::Error>((want, results))
    });
    let _ = std::fs::remove_dir_all(&content);
    let (want, results) = results?;

    println!();
    let rule = "-".repeat(125);
    println!(
        "{:>7} | {:^38} | {:^38} | {:^15} | {:>9}",
        "", "engine (in-process)", "HTTP (SSE clients)", "HTTP/engine", "load avg"
    );
    println!(
        "{:>7} | {:>6} {:>8} {:>8} {:>6} {:>6} | {:>6} {:>8} {:>8} {:>6} {:>6} | {:>6} {:>8} | {:>9}",
        "clients", "tok/s", "TTFT p50", "TTFT p95", "wall", "CPU", "tok/s", "TTFT p50",
        "TTFT p95", "wall", "CPU", "tok/s", "tok/CPUs", "1 min"
    );
    println!(
        "{:>7} | {:>6} {:>8} {:>8} {:>6} {:>6} | {:>6} {:>8} {:>8} {:>6} {:>6} | {:>6} {:>8} | {:>9}",
        "", "", "s", "s", "s", "s", "", "s", "s", "s", "s", "", "", "from→to"
    );
    println!("{rule}");
    let mut levels = Vec::new();
    for (clients, engine, http, load_before, load_after) in &results {
        let ratio = http.tokens_per_s() / engine.tokens_per_s();
        let cpu_ratio = http.tokens_per_cpu_s() / engine.tokens_per_cpu_s();
        let load = |l: &Option<f64>| l.map_or_else(|| "?".to_owned(), |l| format!("{l:.1}"));
        println!(
            "{clients:>7} | {:>6.2} {:>8.2} {:>8.2} {:>6.1} {:>6.1} | {:>6.2} {:>8.2} {:>8.2} {:>6.1} {:>6.1} | {:>6.3} {:>8.3} | {:>9}",
            engine.tokens_per_s(),
            engine.ttft(0.50),
            engine.ttft(0.95),
            engine.wall.as_secs_f64(),
            engine.cpu_s,
            http.tokens_per_s(),
            http.ttft(0.50),
            http.ttft(0.95),
            http.wall.as_secs_f64(),
            http.cpu_s,
            ratio,
            cpu_ratio,
            format!("{}→{}", load(load_before), load(load_after)),
        );
        levels.push(json!({
            "clients": clients,
            "engine": engine.json(),
            "http": http.json(),
            "http_over_engine_tokens_per_s": ratio,
            "http_over_engine_tokens_per_cpu_s": cpu_ratio,
            "level_wall_s": engine.wall.as_secs_f64() + http.wall.as_secs_f64(),
            "load_avg_1m_before": load_before,
            "load_avg_1m_after": load_after,
        }));
    }
    println!("{rule}");
    println!(
        "tok/s: completion tokens of all answers / the path's wall time (first request to last \
         answer). TTFT: engine from submit, HTTP from before connecting, to the first answer \
         text. CPU: seconds the engine and gateway threads used (not the clients'); \
         tok/CPUs compares the paths even when other work shares the cores (load avg). \
         Every answer: {} tokens, finish {:?}, equal on both paths.",
        want.tokens, want.finish
    );

    let out = json!({
        "model": path.display().to_string(),
        "model_hash": hex::encode(model.file_hash),
        "prompt": PROMPT,
        "prompt_tokens": prompt.len(),
        "max_tokens": args.max_tokens,
        "answer_tokens": want.tokens,
        "finish_reason": want.finish,
        "sampling": "greedy",
        "workers": workers,
        "max_sequences": cfg.max_sequences,
        "max_waiting": cfg.max_waiting,
        "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "unix_time": unix_now(),
        "levels": levels,
    });
    let json_path = args.json.unwrap_or_else(default_json_path);
    if let Some(dir) = json_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&json_path, serde_json::to_string_pretty(&out)? + "\n")
        .with_context(|| format!("writing {}", json_path.display()))?;
    println!("results: {}", json_path.display());
    gw.engine.shutdown();
    Ok(())
}
