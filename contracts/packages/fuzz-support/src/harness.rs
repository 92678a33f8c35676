//! The fuzz loop: worlds built by the contract's own test setup, inputs from the schema
//! generator, every call under `catch_unwind` with a time bound and a watchdog.

use std::any::TypeId;
use std::cell::{Cell, RefCell};
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use cosmwasm_schema::schemars::JsonSchema;
use cosmwasm_std::testing::MockApi;
use cosmwasm_std::{
    coin, to_json_vec, Addr, Binary, Coin, ContractResult, CosmosMsg, Empty, Order, Querier,
    QueryRequest, Storage, SystemResult, Uint128, WasmMsg, WasmQuery,
};
use cw_multi_test::{App, Executor};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::gen::{strip_descriptions, Gen, Nested, Vocab};
use crate::rng::{derive, Rng};

/// Native coins every sender gets of each [`Vocab::denoms`] at the start of a world.
pub const SENDER_NATIVE: u128 = 1_000_000_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Execute,
    Query,
    /// A new instance of an existing contract's code.
    Instantiate,
}

/// A known-good message (from the contract's tests) with the sender and payment it needs.
#[derive(Clone, Debug)]
pub struct Template {
    pub msg: Value,
    pub sender: Option<Addr>,
    pub funds: Vec<Coin>,
    /// CW20 amount, for lanes that deliver the message through a CW20 `Send`.
    pub amount: Option<Uint128>,
}

/// One input surface: a message type sent to one contract (directly, or as the `msg` of a
/// CW20 `Send` to it), with its schema, known-good templates and its parser.
pub struct Lane {
    pub name: String,
    pub kind: Kind,
    pub contract: Addr,
    pub schema: Rc<Value>,
    pub templates: Vec<Template>,
    /// `Some(token)`: the message is the hook of a CW20 `Send { contract, amount, msg }` to `token`.
    pub via_cw20: Option<Addr>,
    /// Whether the bytes parse as the message type, exactly as the contract parses them.
    pub parses: fn(&[u8]) -> bool,
    pub weight: u32,
}

fn parses<M: DeserializeOwned>(b: &[u8]) -> bool {
    cosmwasm_std::from_json::<M>(b).is_ok()
}

thread_local! {
    static SCHEMAS: RefCell<HashMap<TypeId, Rc<Value>>> = RefCell::new(HashMap::new());
}

/// The draft-07 schema of `M` as `cosmwasm_schema::schema_for!` writes it, without the prose
/// (computed once per thread).
pub fn schema_of<M: JsonSchema + 'static>() -> Rc<Value> {
    SCHEMAS.with(|c| {
        Rc::clone(c.borrow_mut().entry(TypeId::of::<M>()).or_insert_with(|| {
            let mut v =
                serde_json::to_value(cosmwasm_schema::schema_for!(M)).expect("schema is JSON");
            strip_descriptions(&mut v);
            Rc::new(v)
        }))
    })
}

/// `t` as a JSON value (for templates).
pub fn json<T: Serialize>(t: &T) -> Value {
    serde_json::to_value(t).expect("message serializes")
}

/// A message type carried in `Binary` fields, with known-good instances.
pub fn nested<M: JsonSchema + 'static>(templates: Vec<Value>) -> Nested {
    Nested {
        schema: schema_of::<M>(),
        templates,
    }
}

impl Lane {
    fn new<M: JsonSchema + DeserializeOwned + 'static>(
        name: &str,
        kind: Kind,
        contract: &Addr,
    ) -> Lane {
        Lane {
            name: name.into(),
            kind,
            contract: contract.clone(),
            schema: schema_of::<M>(),
            templates: vec![],
            via_cw20: None,
            parses: parses::<M>,
            weight: 10,
        }
    }

    /// `ExecuteMsg`-like type `M` sent to `contract`.
    pub fn execute<M: JsonSchema + DeserializeOwned + 'static>(
        name: &str,
        contract: &Addr,
    ) -> Lane {
        Lane::new::<M>(name, Kind::Execute, contract)
    }

    /// `QueryMsg`-like type `M` (smart query) to `contract`.
    pub fn query<M: JsonSchema + DeserializeOwned + 'static>(name: &str, contract: &Addr) -> Lane {
        Lane::new::<M>(name, Kind::Query, contract)
    }

    /// `InstantiateMsg`-like type `M`: instantiates the code of `existing` (a new instance each
    /// time it succeeds; the fuzzed world keeps using the old one).
    pub fn instantiate<M: JsonSchema + DeserializeOwned + 'static>(
        name: &str,
        existing: &Addr,
    ) -> Lane {
        Lane::new::<M>(name, Kind::Instantiate, existing).weight(2)
    }

    /// CW20 hook `M` (e.g. `ReceiveMsg`) delivered by a CW20 `Send` on `token` to `contract`.
    pub fn cw20_hook<M: JsonSchema + DeserializeOwned + 'static>(
        name: &str,
        token: &Addr,
        contract: &Addr,
    ) -> Lane {
        let mut l = Lane::new::<M>(name, Kind::Execute, contract);
        l.via_cw20 = Some(token.clone());
        l
    }

    pub fn weight(mut self, w: u32) -> Lane {
        self.weight = w;
        self
    }

    /// A known-good message sent by `sender` without funds.
    pub fn template<T: Serialize>(self, sender: &Addr, msg: &T) -> Lane {
        self.template_funded(sender, msg, &[])
    }

    pub fn template_funded<T: Serialize>(mut self, sender: &Addr, msg: &T, funds: &[Coin]) -> Lane {
        self.templates.push(Template {
            msg: json(msg),
            sender: Some(sender.clone()),
            funds: funds.to_vec(),
            amount: None,
        });
        self
    }

    /// A known-good hook sent by `sender` with `amount` CW20 tokens (for [`Lane::cw20_hook`]).
    pub fn template_send<T: Serialize>(mut self, sender: &Addr, amount: u128, msg: &T) -> Lane {
        self.templates.push(Template {
            msg: json(msg),
            sender: Some(sender.clone()),
            funds: vec![],
            amount: Some(Uint128::new(amount)),
        });
        self
    }

    /// A known-good query.
    pub fn query_template<T: Serialize>(mut self, msg: &T) -> Lane {
        self.templates.push(Template {
            msg: json(msg),
            sender: None,
            funds: vec![],
            amount: None,
        });
        self
    }
}

/// Checks an invariant of the world; `Err` explains the violation.
pub type Invariant = Box<dyn Fn(&App) -> Result<(), String>>;

/// A deployed world, built by the contract's own test setup.
pub struct FuzzWorld {
    pub app: App,
    pub lanes: Vec<Lane>,
    /// Accounts that send inputs (privileged and not). Two strangers are added.
    pub senders: Vec<Addr>,
    pub vocab: Vocab,
    /// Checked every [`INVARIANT_EVERY`] inputs and at the end of the world.
    pub invariant: Option<Invariant>,
}

impl FuzzWorld {
    pub fn new(app: App, senders: Vec<Addr>, vocab: Vocab) -> FuzzWorld {
        FuzzWorld {
            app,
            lanes: vec![],
            senders,
            vocab,
            invariant: None,
        }
    }

    pub fn lane(mut self, lane: Lane) -> FuzzWorld {
        self.lanes.push(lane);
        self
    }

    pub fn invariant(mut self, f: impl Fn(&App) -> Result<(), String> + 'static) -> FuzzWorld {
        self.invariant = Some(Box::new(f));
        self
    }
}

pub const INVARIANT_EVERY: u64 = 50;

/// Run parameters, from the environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// `OPENLEDGER_FUZZ_INPUTS`: inputs for this contract (default: the test's).
    pub inputs: u64,
    /// `OPENLEDGER_FUZZ_SEED` (decimal or 0x-hex).
    pub seed: u64,
    /// `OPENLEDGER_FUZZ_EPOCH`: inputs per world; a fresh world (the test's setup) per epoch.
    pub epoch: u64,
    /// `OPENLEDGER_FUZZ_FROM_EPOCH`: first epoch (to replay a failure without its predecessors).
    pub from_epoch: u64,
    /// `OPENLEDGER_FUZZ_THREADS`: worlds run in parallel (default 1).
    pub threads: usize,
    /// `OPENLEDGER_FUZZ_CALL_LIMIT_MS`: a call that takes longer fails the run (default 2000).
    pub call_limit: Duration,
    /// `OPENLEDGER_FUZZ_HANG_S`: a call still running after this aborts the process (default 60).
    pub hang_limit: Duration,
    /// `OPENLEDGER_FUZZ_TRACE=1`: print every input before running it.
    pub trace: bool,
}

pub const DEFAULT_SEED: u64 = 0x0FE4_1ED6_E200_0001;

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim().replace('_', "");
    let parsed = match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|e| panic!("{name}={v}: {e}")))
}

impl Config {
    pub fn from_env(default_inputs: u64) -> Config {
        Config {
            inputs: env_u64("OPENLEDGER_FUZZ_INPUTS").unwrap_or(default_inputs),
            seed: env_u64("OPENLEDGER_FUZZ_SEED").unwrap_or(DEFAULT_SEED),
            epoch: env_u64("OPENLEDGER_FUZZ_EPOCH").unwrap_or(400).max(1),
            from_epoch: env_u64("OPENLEDGER_FUZZ_FROM_EPOCH").unwrap_or(0),
            threads: env_u64("OPENLEDGER_FUZZ_THREADS").unwrap_or(1).max(1) as usize,
            call_limit: Duration::from_millis(
                env_u64("OPENLEDGER_FUZZ_CALL_LIMIT_MS").unwrap_or(2_000),
            ),
            hang_limit: Duration::from_secs(env_u64("OPENLEDGER_FUZZ_HANG_S").unwrap_or(60)),
            trace: std::env::var("OPENLEDGER_FUZZ_TRACE").is_ok_and(|v| v == "1"),
        }
    }
}

/// ok / refused after parsing (contract error, or the bank refusing the funds) / parse error.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    pub ok: u64,
    pub rejected: u64,
    pub parse: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.ok + self.rejected + self.parse
    }
}

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub execute: Counts,
    pub query: Counts,
    pub instantiate: Counts,
    pub advances: u64,
    pub worlds: u64,
    pub setup: Duration,
    /// Failed executes after which the whole store was compared with its state before.
    pub unchanged_checks: u64,
    pub invariant_checks: u64,
    pub slowest: Duration,
    pub slowest_input: String,
    /// Σ and max of the message sizes (bytes, before the CW20 `Send` wrapper).
    pub bytes: u64,
    pub largest: usize,
    /// Successful executes / queries per top-level variant.
    pub ok_variants: BTreeMap<String, u64>,
    /// Refusals by (normalised) root-cause message.
    pub errors: BTreeMap<String, u64>,
    pub elapsed: Duration,
}

impl Stats {
    /// With at least 1 000 inputs, some executes and some queries must have succeeded (a
    /// world whose every call fails tests nothing but the parsers).
    #[track_caller]
    pub fn assert_reached(&self) {
        if self.inputs() >= 1_000 {
            assert!(
                self.execute.ok > 0 && self.query.ok > 0,
                "no successful execute or query: {:?} / {:?}",
                self.execute,
                self.query
            );
        }
    }

    pub fn inputs(&self) -> u64 {
        self.execute.total() + self.query.total() + self.instantiate.total() + self.advances
    }

    fn merge(&mut self, o: Stats) {
        for (a, b) in [
            (&mut self.execute, o.execute),
            (&mut self.query, o.query),
            (&mut self.instantiate, o.instantiate),
        ] {
            a.ok += b.ok;
            a.rejected += b.rejected;
            a.parse += b.parse;
        }
        self.advances += o.advances;
        self.worlds += o.worlds;
        self.setup += o.setup;
        self.unchanged_checks += o.unchanged_checks;
        self.invariant_checks += o.invariant_checks;
        self.bytes += o.bytes;
        self.largest = self.largest.max(o.largest);
        if o.slowest > self.slowest {
            self.slowest = o.slowest;
            self.slowest_input = o.slowest_input;
        }
        for (k, v) in o.ok_variants {
            *self.ok_variants.entry(k).or_default() += v;
        }
        for (k, v) in o.errors {
            *self.errors.entry(k).or_default() += v;
        }
    }
}

thread_local! {
    static FUZZING: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}
static HOOK: Once = Once::new();

/// Panics inside fuzzed calls are recorded (message, location, backtrace) instead of printed;
/// other threads keep the previous hook.
fn install_panic_hook() {
    HOOK.call_once(|| {
        let prev = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if FUZZING.with(Cell::get) {
                let bt = std::backtrace::Backtrace::force_capture().to_string();
                let bt = trim_backtrace(&bt);
                LAST_PANIC.with(|p| {
                    *p.borrow_mut() = Some(format!("{info}\nbacktrace (trimmed):\n{bt}"))
                });
            } else {
                prev(info)
            }
        }));
    });
}

/// The frames of a backtrace that are neither std nor the harness nor cw-multi-test, each
/// with its source line, at most 24.
fn trim_backtrace(bt: &str) -> String {
    const SKIP: &[&str] = &[
        "std::",
        "core::",
        "alloc::",
        "test::",
        "__rust",
        "fuzz_support::",
        "cw_multi_test::",
        "<alloc::",
        "<core::",
        "<std::",
        "rust_begin_unwind",
        "do_call",
        "catch_unwind",
        "call_once",
        "try_fold",
        "collect",
        "from_iter",
        "execute<",
        "execute_wasm<",
        "{closure",
        "run_epoch",
        "<F as ",
        "panic",
    ];
    let mut out = Vec::new();
    let mut keep = false;
    for line in bt.lines() {
        let t = line.trim_start();
        if t.starts_with("at ") {
            if keep {
                out.push(format!("        {t}"));
            }
            continue;
        }
        let name = t.split_once(": ").map_or(t, |(_, n)| n);
        keep = !SKIP.iter().any(|s| name.starts_with(s));
        if keep {
            let short: String = name.chars().take(140).collect();
            out.push(format!("    {short}"));
        }
        if out.len() >= 48 {
            break;
        }
    }
    out.join("\n")
}

/// What the watchdog sees of one worker: the running input and when it started.
#[derive(Default)]
struct Slot {
    /// Nanoseconds since the run started, + 1; 0 while idle.
    started: AtomicU64,
    epoch: AtomicU64,
    step: AtomicU64,
}

struct Shared<'a> {
    name: &'a str,
    cfg: &'a Config,
    t0: Instant,
    next_epoch: AtomicU64,
    stop: AtomicBool,
    failure: Mutex<Option<String>>,
    repro: String,
}

impl Shared<'_> {
    fn now_ns(&self) -> u64 {
        self.t0.elapsed().as_nanos() as u64 + 1
    }

    fn repro(&self, epoch: u64, step: u64) -> String {
        format!(
            "reproduce: OPENLEDGER_FUZZ_SEED={:#x} OPENLEDGER_FUZZ_EPOCH={} OPENLEDGER_FUZZ_FROM_EPOCH={epoch} \
             OPENLEDGER_FUZZ_INPUTS={} OPENLEDGER_FUZZ_TRACE=1 {}",
            self.cfg.seed,
            self.cfg.epoch,
            step + 1,
            self.repro
        )
    }
}

/// Runs `inputs` fuzz inputs against the worlds `setup` builds (one per epoch) and returns the
/// statistics; panics (after printing the input, the epoch's history and how to reproduce)
/// if a call panicked, overran the time limit, changed state although it failed, succeeded
/// although its message does not parse, or broke the world's invariant.
pub fn run<F>(name: &str, default_inputs: u64, setup: F) -> Stats
where
    F: Fn(&mut Rng) -> FuzzWorld + Sync,
{
    install_panic_hook();
    let cfg = Config::from_env(default_inputs);
    let test = std::thread::current().name().unwrap_or("fuzz").to_string();
    let pkg = std::env::var("CARGO_PKG_NAME").unwrap_or_else(|_| "<crate>".into());
    let shared = Shared {
        name,
        cfg: &cfg,
        t0: Instant::now(),
        next_epoch: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        failure: Mutex::new(None),
        repro: format!("cargo test -p {pkg} {test} -- --exact --nocapture"),
    };
    let epochs = cfg.inputs.div_ceil(cfg.epoch);
    let slots: Vec<Slot> = (0..cfg.threads).map(|_| Slot::default()).collect();
    let done = AtomicBool::new(false);
    let mut stats = Stats::default();
    std::thread::scope(|sc| {
        sc.spawn(|| watchdog(&shared, &slots, &done));
        let workers: Vec<_> = slots
            .iter()
            .map(|slot| {
                let (shared, setup) = (&shared, &setup);
                std::thread::Builder::new()
                    .name(format!("{test}-worker"))
                    .stack_size(16 << 20)
                    .spawn_scoped(sc, move || worker(shared, slot, epochs, setup))
                    .expect("spawn fuzz worker")
            })
            .collect();
        for w in workers {
            match w.join() {
                Ok(s) => stats.merge(s),
                Err(_) => {
                    shared.stop.store(true, Ordering::SeqCst);
                    let mut f = shared.failure.lock().unwrap_or_else(|e| e.into_inner());
                    f.get_or_insert_with(|| "fuzz worker panicked outside a call".into());
                }
            }
        }
        done.store(true, Ordering::SeqCst);
    });
    stats.elapsed = shared.t0.elapsed();
    println!("{}", report(name, &cfg, &stats));
    if let Some(f) = shared
        .failure
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
    {
        panic!("fuzz {name}: {f}");
    }
    stats
}

fn watchdog(shared: &Shared, slots: &[Slot], done: &AtomicBool) {
    let limit = shared.cfg.hang_limit.as_nanos() as u64;
    while !done.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
        let now = shared.now_ns();
        for s in slots {
            let started = s.started.load(Ordering::SeqCst);
            if started != 0 && now.saturating_sub(started) > limit {
                let (epoch, step) = (
                    s.epoch.load(Ordering::SeqCst),
                    s.step.load(Ordering::SeqCst),
                );
                eprintln!(
                    "fuzz {}: HANG: input {step} of epoch {epoch} still running after {:?}\n{}",
                    shared.name,
                    shared.cfg.hang_limit,
                    shared.repro(epoch, step)
                );
                std::process::abort();
            }
        }
    }
}

fn worker<F>(shared: &Shared, slot: &Slot, epochs: u64, setup: &F) -> Stats
where
    F: Fn(&mut Rng) -> FuzzWorld,
{
    let mut stats = Stats::default();
    while !shared.stop.load(Ordering::SeqCst) {
        let e = shared.next_epoch.fetch_add(1, Ordering::SeqCst);
        if e >= epochs {
            break;
        }
        let n = shared
            .cfg
            .epoch
            .min(shared.cfg.inputs - e * shared.cfg.epoch);
        let epoch = shared.cfg.from_epoch + e;
        if let Err(f) = run_epoch(shared, slot, epoch, n, setup, &mut stats) {
            shared.stop.store(true, Ordering::SeqCst);
            let mut slot = shared.failure.lock().unwrap_or_else(|e| e.into_inner());
            slot.get_or_insert(f);
            break;
        }
    }
    stats
}

/// One fuzz input, as run.
struct Input {
    kind: Kind,
    lane: String,
    variant: String,
    sender: Addr,
    funds: Vec<Coin>,
    amount: Option<Uint128>,
    bytes: Vec<u8>,
}

impl Input {
    /// One line: kind, lane, sender, funds and the first 400 characters of the message.
    fn summary(&self) -> String {
        let mut s = format!("{:?} {} [{}]", self.kind, self.lane, self.variant);
        if self.kind != Kind::Query {
            let _ = write!(s, " sender={}", self.sender);
            if !self.funds.is_empty() {
                let _ = write!(s, " funds={:?}", self.funds);
            }
        }
        if let Some(a) = self.amount {
            let _ = write!(s, " cw20 Send amount={a}");
        }
        let text = String::from_utf8_lossy(&self.bytes);
        let cut: String = text.chars().take(400).collect();
        let more = if cut.len() < text.len() { "…" } else { "" };
        let _ = write!(s, ": {cut}{more}");
        s
    }

    /// Everything needed to replay it by hand, the message in full (as text and base64).
    fn describe(&self) -> String {
        let mut s = format!("{:?} {} [{}]", self.kind, self.lane, self.variant);
        if self.kind != Kind::Query {
            let _ = write!(s, " sender={}", self.sender);
            if !self.funds.is_empty() {
                let _ = write!(s, " funds={:?}", self.funds);
            }
        }
        if let Some(a) = self.amount {
            let _ = write!(s, " cw20 Send amount={a}");
        }
        let text = String::from_utf8_lossy(&self.bytes);
        if text.len() > 8_192 {
            let cut: String = text.chars().take(8_192).collect();
            let _ = write!(s, "\n  msg ({} bytes, cut): {cut}…", self.bytes.len());
        } else {
            let _ = write!(
                s,
                "\n  msg: {text}\n  msg (base64): {}",
                Binary::new(self.bytes.clone()).to_base64()
            );
        }
        s
    }
}

/// A state-changing step of a world, kept for the failure report.
enum Step {
    Advance { step: u64, blocks: u64, secs: u64 },
    Ok { step: u64, input: Input },
}

fn variant_of(v: &Value) -> String {
    match v {
        Value::Object(m) if m.len() == 1 => m.keys().next().cloned().unwrap_or_default(),
        Value::String(s) if s.len() < 40 => s.clone(),
        _ => "?".into(),
    }
}

/// Root cause of an error, digits and long tails elided, for the refusal histogram.
fn normalise(e: &str) -> String {
    let mut out = String::new();
    let mut last_hash = false;
    for c in e.chars() {
        if c.is_ascii_digit() {
            if !last_hash {
                out.push('#');
            }
            last_hash = true;
        } else {
            out.push(c);
            last_hash = false;
        }
        if out.len() >= 90 {
            out.push('…');
            break;
        }
    }
    out
}

fn digest(app: &App) -> u64 {
    let mut h = DefaultHasher::new();
    for (k, v) in app.storage().range(None, None, Order::Ascending) {
        k.hash(&mut h);
        v.hash(&mut h);
    }
    h.finish()
}

/// Gives every sender at least `SENDER_NATIVE` of each denom (other denoms are dropped).
fn fund(app: &mut App, who: &[Addr], denoms: &[String]) {
    for a in who {
        let coins: Vec<Coin> = denoms
            .iter()
            .map(|d| {
                let have = app.wrap().query_balance(a, d).map(|c| c.amount.u128());
                coin(have.unwrap_or_default().max(SENDER_NATIVE), d)
            })
            .collect();
        app.init_modules(|router, _, storage| router.bank.init_balance(storage, a, coins))
            .expect("fund fuzz sender");
    }
}

fn random_funds(g: &mut Gen) -> Vec<Coin> {
    let amount = |g: &mut Gen| -> u128 {
        *g.rng.pick(&[
            1,
            7,
            100,
            1_000,
            5_100,
            10_000,
            1_000_000,
            SENDER_NATIVE + 1,
            u128::MAX,
        ])
    };
    match g.rng.below(100) {
        0..=79 => vec![],
        80..=91 => {
            let d = g.denom();
            vec![coin(amount(g), d)]
        }
        92..=95 => {
            let d = g.denom();
            vec![coin(0, d)]
        }
        _ => {
            let (d1, d2) = (g.denom(), g.denom());
            vec![coin(amount(g), d1), coin(amount(g), d2)]
        }
    }
}

fn take_panic(payload: Box<dyn std::any::Any + Send>) -> String {
    LAST_PANIC
        .with(|p| p.borrow_mut().take())
        .unwrap_or_else(|| match payload.downcast::<String>() {
            Ok(s) => *s,
            Err(p) => p
                .downcast::<&str>()
                .map(|s| s.to_string())
                .unwrap_or_else(|_| "non-string panic".into()),
        })
}

/// Runs `f` as input `step` of `epoch`: watched, timed, panics caught.
fn call<R>(
    shared: &Shared,
    slot: &Slot,
    epoch: u64,
    step: u64,
    f: impl FnOnce() -> R,
) -> (Result<R, String>, Duration) {
    slot.epoch.store(epoch, Ordering::SeqCst);
    slot.step.store(step, Ordering::SeqCst);
    slot.started.store(shared.now_ns(), Ordering::SeqCst);
    FUZZING.with(|f| f.set(true));
    let t = Instant::now();
    let r = panic::catch_unwind(AssertUnwindSafe(f));
    let el = t.elapsed();
    FUZZING.with(|f| f.set(false));
    slot.started.store(0, Ordering::SeqCst);
    (r.map_err(take_panic), el)
}

fn run_epoch<F>(
    shared: &Shared,
    slot: &Slot,
    epoch: u64,
    n: u64,
    setup: &F,
    stats: &mut Stats,
) -> Result<(), String>
where
    F: Fn(&mut Rng) -> FuzzWorld,
{
    let cfg = shared.cfg;
    let mut rng = Rng::new(derive(cfg.seed, shared.name, epoch));
    let t = Instant::now();
    let (world, _) = call(shared, slot, epoch, 0, || setup(&mut rng));
    let mut world = world.map_err(|p| format!("world setup panicked (epoch {epoch}): {p}"))?;
    let strangers: Vec<Addr> = ["fuzz-stranger-1", "fuzz-stranger-2"]
        .iter()
        .map(|s| MockApi::default().addr_make(s))
        .collect();
    world.senders.extend(strangers.iter().cloned());
    world
        .vocab
        .addresses
        .extend(strangers.iter().map(Addr::to_string));
    fund(&mut world.app, &world.senders, &world.vocab.denoms);
    stats.setup += t.elapsed();
    stats.worlds += 1;

    let FuzzWorld {
        mut app,
        lanes,
        senders,
        vocab,
        invariant,
    } = world;
    let exec_lanes: Vec<usize> = (0..lanes.len())
        .filter(|&i| lanes[i].kind != Kind::Query)
        .collect();
    let query_lanes: Vec<usize> = (0..lanes.len())
        .filter(|&i| lanes[i].kind == Kind::Query)
        .collect();
    let exec_w: Vec<u32> = exec_lanes.iter().map(|&i| lanes[i].weight).collect();
    let query_w: Vec<u32> = query_lanes.iter().map(|&i| lanes[i].weight).collect();
    let code_ids: Vec<u64> = lanes
        .iter()
        .map(|l| match l.kind {
            Kind::Instantiate => app
                .wrap()
                .query_wasm_contract_info(&l.contract)
                .map(|c| c.code_id)
                .unwrap_or_else(|e| panic!("lane {}: no contract {}: {e}", l.name, l.contract)),
            _ => 0,
        })
        .collect();
    let mut g = Gen::new(Rng::new(rng.next_u64()), vocab);
    // state-changing steps of this world, for the failure report
    let mut history: Vec<Step> = Vec::new();
    let mut pool: VecDeque<Vec<u8>> = VecDeque::new();

    let fail = |what: String, input: Option<&Input>, step: u64, history: &[Step]| -> String {
        let mut s = format!(
            "{what}\n  at input {step} of epoch {epoch} (seed {:#x})\n",
            cfg.seed
        );
        if let Some(i) = input {
            let _ = writeln!(s, "  input: {}", i.describe());
        }
        let skip = history.len().saturating_sub(60);
        let _ = writeln!(
            s,
            "  state-changing steps before it in this world ({}, last {} shown):",
            history.len(),
            history.len() - skip
        );
        for h in &history[skip..] {
            let line = match h {
                Step::Advance { step, blocks, secs } => {
                    format!("#{step} advance {blocks} blocks, {secs} s")
                }
                Step::Ok { step, input } => format!("#{step} ok: {}", input.summary()),
            };
            let _ = writeln!(s, "    {}", line.replace('\n', "\n      "));
        }
        let _ = write!(s, "  {}", shared.repro(epoch, step));
        s
    };

    let check_invariant = |app: &App, stats: &mut Stats, step: u64, history: &[Step]| {
        if let Some(inv) = &invariant {
            stats.invariant_checks += 1;
            let (r, _) = call(shared, slot, epoch, step, || inv(app));
            match r {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    return Err(fail(format!("invariant broken: {e}"), None, step, history))
                }
                Err(p) => {
                    return Err(fail(
                        format!("invariant check panicked: {p}"),
                        None,
                        step,
                        history,
                    ))
                }
            }
        }
        Ok(())
    };

    for step in 0..n {
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        let roll = g.rng.below(100);
        if roll < 3 || exec_lanes.is_empty() && query_lanes.is_empty() {
            let blocks = *g.rng.pick(&[1u64, 1, 2, 5, 6, 10, 11, 21, 100, 1_000]);
            let mut secs = blocks * 5;
            if g.rng.chance(15) {
                secs += *g.rng.pick(&[3_600u64, 86_400, 86_401, 7 * 86_400 + 1]);
            }
            app.update_block(|b| {
                b.height += blocks;
                b.time = b.time.plus_seconds(secs);
            });
            stats.advances += 1;
            history.push(Step::Advance { step, blocks, secs });
            continue;
        }
        let li = if (roll < 25 && !query_lanes.is_empty()) || exec_lanes.is_empty() {
            query_lanes[g.rng.weighted(&query_w)]
        } else {
            exec_lanes[g.rng.weighted(&exec_w)]
        };
        let (lane, kind) = (&lanes[li], lanes[li].kind);

        // the message: a (mutated) template or a fresh instance of the schema
        let template = if !lane.templates.is_empty() && g.rng.chance(55) {
            Some(g.rng.pick(&lane.templates).clone())
        } else {
            None
        };
        let value = match &template {
            Some(t) if g.rng.chance(35) => t.msg.clone(),
            Some(t) => g.mutate(&lane.schema, &t.msg),
            None => g.message(&lane.schema),
        };
        let mut bytes = serde_json::to_vec(&value).expect("JSON value serializes");
        let mut variant = variant_of(&value);
        if g.rng.chance(10) {
            bytes = g.mutate_bytes(bytes, pool.make_contiguous());
            variant.push_str(" (bytes mutated)");
        }
        if pool.len() >= 16 {
            pool.pop_front();
        }
        pool.push_back(bytes.clone());
        let sender = match &template {
            Some(Template {
                sender: Some(s), ..
            }) if g.rng.chance(75) => s.clone(),
            _ => g.rng.pick(&senders).clone(),
        };
        let funds = match &template {
            Some(t) if g.rng.chance(80) => t.funds.clone(),
            _ => random_funds(&mut g),
        };
        let amount = lane.via_cw20.as_ref().map(|_| match &template {
            Some(Template {
                amount: Some(a), ..
            }) if g.rng.chance(75) => *a,
            _ => g.uint_string(128).parse().unwrap_or(Uint128::new(1)),
        });
        let input = Input {
            kind,
            lane: lane.name.clone(),
            variant,
            sender,
            funds,
            amount,
            bytes,
        };
        if cfg.trace {
            println!(
                "fuzz {} epoch {epoch} input {step}: {}",
                shared.name,
                input.describe()
            );
        }
        let parsed = (lane.parses)(&input.bytes);
        stats.bytes += input.bytes.len() as u64;
        stats.largest = stats.largest.max(input.bytes.len());

        let (outcome, took) = match kind {
            Kind::Execute | Kind::Instantiate => {
                let msg = match (&lane.via_cw20, input.amount) {
                    _ if kind == Kind::Instantiate => WasmMsg::Instantiate {
                        admin: g.rng.chance(50).then(|| input.sender.to_string()),
                        code_id: code_ids[li],
                        msg: Binary::new(input.bytes.clone()),
                        funds: input.funds.clone(),
                        label: "fuzz".into(),
                    },
                    (Some(token), Some(amount)) => WasmMsg::Execute {
                        contract_addr: token.to_string(),
                        msg: Binary::new(
                            to_json_vec(&cw20::Cw20ExecuteMsg::Send {
                                contract: lane.contract.to_string(),
                                amount,
                                msg: Binary::new(input.bytes.clone()),
                            })
                            .expect("Send serializes"),
                        ),
                        funds: input.funds.clone(),
                    },
                    _ => WasmMsg::Execute {
                        contract_addr: lane.contract.to_string(),
                        msg: Binary::new(input.bytes.clone()),
                        funds: input.funds.clone(),
                    },
                };
                let check_unchanged = g.rng.chance(12);
                let before = check_unchanged.then(|| digest(&app));
                let (r, took) = call(shared, slot, epoch, step, || {
                    app.execute(input.sender.clone(), CosmosMsg::<Empty>::Wasm(msg))
                        .map(|_| ())
                        .map_err(|e| e.root_cause().to_string())
                });
                let r = r.map_err(|p| fail(format!("PANIC: {p}"), Some(&input), step, &history))?;
                if let (Err(_), Some(before)) = (&r, before) {
                    stats.unchanged_checks += 1;
                    if digest(&app) != before {
                        return Err(fail(
                            "a failed execute changed the store".into(),
                            Some(&input),
                            step,
                            &history,
                        ));
                    }
                }
                (r, took)
            }
            Kind::Query => {
                let req: QueryRequest<Empty> = QueryRequest::Wasm(WasmQuery::Smart {
                    contract_addr: lane.contract.to_string(),
                    msg: Binary::new(input.bytes.clone()),
                });
                let raw = to_json_vec(&req).expect("query request serializes");
                let (r, took) = call(shared, slot, epoch, step, || match app.raw_query(&raw) {
                    SystemResult::Ok(ContractResult::Ok(_)) => Ok(()),
                    SystemResult::Ok(ContractResult::Err(e)) => Err(e),
                    SystemResult::Err(e) => Err(e.to_string()),
                });
                let r = r.map_err(|p| fail(format!("PANIC: {p}"), Some(&input), step, &history))?;
                (r, took)
            }
        };

        if took > stats.slowest {
            stats.slowest = took;
            stats.slowest_input = format!("{:?} {} [{}]", kind, input.lane, input.variant);
        }
        if took > cfg.call_limit {
            return Err(fail(
                format!("call took {took:?} (limit {:?})", cfg.call_limit),
                Some(&input),
                step,
                &history,
            ));
        }
        let counts = match kind {
            Kind::Execute => &mut stats.execute,
            Kind::Query => &mut stats.query,
            Kind::Instantiate => &mut stats.instantiate,
        };
        match outcome {
            Ok(()) if !parsed => {
                return Err(fail(
                    "accepted a message that does not parse as the lane's type".into(),
                    Some(&input),
                    step,
                    &history,
                ))
            }
            Ok(()) => {
                counts.ok += 1;
                let key = format!("{}:{}", input.lane, variant_of(&value));
                *stats.ok_variants.entry(key).or_default() += 1;
                if kind != Kind::Query {
                    history.push(Step::Ok { step, input });
                }
            }
            Err(_) if !parsed => counts.parse += 1,
            Err(e) => {
                counts.rejected += 1;
                *stats.errors.entry(normalise(&e)).or_default() += 1;
            }
        }
        if kind != Kind::Query && (step + 1) % INVARIANT_EVERY == 0 {
            check_invariant(&app, stats, step, &history)?;
        }
    }
    check_invariant(&app, stats, n, &history)
}

/// The summary printed after a run.
pub fn report(name: &str, cfg: &Config, s: &Stats) -> String {
    let secs = s.elapsed.as_secs_f64().max(1e-9);
    let mut r = format!(
        "fuzz {name}: seed {:#x}, {} inputs in {:.2} s = {:.0} inputs/s ({} thread(s), {} worlds of ≤ {} inputs, setup {:.2} s)\n",
        cfg.seed,
        s.inputs(),
        secs,
        s.inputs() as f64 / secs,
        cfg.threads,
        s.worlds,
        cfg.epoch,
        s.setup.as_secs_f64(),
    );
    let _ = writeln!(
        r,
        "  execute {}: ok {}, rejected {}, parse error {} | query {}: ok {}, rejected {}, parse error {} | instantiate {}: ok {}, rejected {}, parse error {} | block advances {}",
        s.execute.total(),
        s.execute.ok,
        s.execute.rejected,
        s.execute.parse,
        s.query.total(),
        s.query.ok,
        s.query.rejected,
        s.query.parse,
        s.instantiate.total(),
        s.instantiate.ok,
        s.instantiate.rejected,
        s.instantiate.parse,
        s.advances
    );
    let _ = writeln!(
        r,
        "  messages: mean {} bytes, largest {} | failed executes re-checked for an unchanged store: {} | invariant checks: {} | slowest call {:.2} ms ({})",
        s.bytes / (s.inputs() - s.advances).max(1),
        s.largest,
        s.unchanged_checks,
        s.invariant_checks,
        s.slowest.as_secs_f64() * 1e3,
        s.slowest_input
    );
    let ok: Vec<String> = s
        .ok_variants
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let _ = writeln!(r, "  ok by variant: {}", ok.join(", "));
    let mut errs: Vec<(&String, &u64)> = s.errors.iter().collect();
    errs.sort_by(|a, b| b.1.cmp(a.1));
    let _ = writeln!(r, "  top refusals ({} distinct):", errs.len());
    for (e, n) in errs.iter().take(12) {
        let _ = writeln!(r, "    {n:>8}  {e}");
    }
    r
}
