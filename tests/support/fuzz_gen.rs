//! Hostile JSON-RPC lines for the protocol fuzz test, from a small deterministic PRNG.
//!
//! Every line comes from one seed, so a failing run is replayed with `LLM_MCP_FUZZ_SEED`.
//! Generic request ids come from a counter in ranges of their own (integers from 10^7, strings
//! `fz-N`, non-integral floats), so two requests rarely share an id; the test still counts ids
//! as it sends them, because a mutation can turn one id into another.

use serde_json::{Map, Value, json};

/// SplitMix64: tiny, fast and good enough to pick cases (not for anything secret).
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The seed of this run: `LLM_MCP_FUZZ_SEED` when set, otherwise the clock.
pub fn seed() -> u64 {
    match std::env::var("LLM_MCP_FUZZ_SEED") {
        Ok(text) => text.parse().expect("LLM_MCP_FUZZ_SEED is a u64"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    }
}

/// Number literals that stress parsers: huge, negative zero, exponents, out of every range.
const ODD_NUMBERS: &[&str] = &[
    "-0",
    "-0.0",
    "0.0",
    "1e400",
    "-1e400",
    "1E-400",
    "18446744073709551616",
    "-9223372036854775809",
    "9223372036854775807",
    "4294967296",
    "-1",
    "1.5",
    "2.5e-3",
    "123456789012345678901234567890",
    "1e308",
];

/// One of [`ODD_NUMBERS`].
fn odd(rng: &mut Rng) -> &'static str {
    ODD_NUMBERS[rng.below(ODD_NUMBERS.len())]
}

/// Methods a server knows, might know, or never will.
const METHODS: &[&str] = &[
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/read",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
    "server/discover",
    "notifications/initialized",
    "notifications/cancelled",
    "notifications/progress",
    "notifications/roots/list_changed",
    "tools/List",
    "",
    "no/such/method",
    "rpc.discover",
    "tools/call/extra",
];

/// A random JSON value of any type, at most `depth` levels deep.
pub fn value(rng: &mut Rng, depth: usize) -> Value {
    let kinds = if depth == 0 { 6 } else { 8 };
    match rng.below(kinds) {
        0 => Value::Null,
        1 => json!(rng.chance(50)),
        2 => json!(rng.next_u64() as i64 >> rng.below(64)),
        3 => json!((rng.next_u64() as f64) / (1u64 << rng.below(64)) as f64 - 1e9),
        4 => json!(string(rng)),
        5 => serde_json::from_str(odd(rng)).unwrap_or(json!(0)),
        6 => Value::Array((0..rng.below(4)).map(|_| value(rng, depth - 1)).collect()),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.below(4) {
                map.insert(string(rng), value(rng, depth - 1));
            }
            Value::Object(map)
        }
    }
}

/// A random short string, sometimes with control characters, quotes or non-ASCII.
fn string(rng: &mut Rng) -> String {
    const PIECES: &[&str] = &[
        "a",
        "prompt",
        "\"",
        "\\",
        "\n",
        "\u{0}",
        "é",
        "日本",
        "🦀",
        " ",
        "{",
        "]",
        "\u{feff}",
        "name",
        "arguments",
        "\u{2028}",
    ];
    (0..rng.below(6)).map(|_| *rng.pick(PIECES)).collect()
}

/// A wrong value for a field: every JSON type, odd numbers, long strings.
fn wrong(rng: &mut Rng) -> Value {
    match rng.below(6) {
        0 => json!("x".repeat(rng.below(3000))),
        1 => serde_json::from_str(odd(rng)).unwrap_or(json!(-1)),
        _ => value(rng, 2),
    }
}

/// Arguments for `complete`/`chat` where each field is right or wrong at random.
pub fn tool_arguments(rng: &mut Rng) -> Value {
    let mut args = Map::new();
    let good: [(&str, Value); 9] = [
        ("prompt", json!("fuzz prompt")),
        ("system", json!("be brief")),
        ("model", json!("gpt-4o-mini")),
        ("max_tokens", json!(16)),
        ("temperature", json!(0.5)),
        ("top_p", json!(0.9)),
        ("stop", json!(["END"])),
        ("timeout_s", json!(5)),
        (
            "messages",
            json!([{"role": "user", "content": "fuzz chat"}]),
        ),
    ];
    for (name, right) in good {
        if rng.chance(30) {
            continue;
        }
        let field = if rng.chance(40) { wrong(rng) } else { right };
        args.insert(name.into(), field);
    }
    if rng.chance(10) {
        args.insert(string(rng), value(rng, 2));
    }
    Value::Object(args)
}

/// An id of any JSON type; numbers and strings come from `counter` so they stay distinct.
pub fn id(rng: &mut Rng, counter: u64) -> Value {
    match rng.below(10) {
        0..=2 => json!(10_000_000 + counter),
        3 => json!(-10_000_000 - counter as i64),
        4..=5 => json!(format!("fz-{counter}")),
        6 => json!(10_000_000.5 + counter as f64),
        7 => json!([counter]),
        8 => json!({"n": counter}),
        _ => rng
            .pick(&[json!(null), json!(true), json!(false), json!("")])
            .clone(),
    }
}

/// A request-shaped message, with every part possibly wrong.
pub fn message(rng: &mut Rng, counter: u64) -> Value {
    let mut message = Map::new();
    if !rng.chance(5) {
        let version = if rng.chance(90) {
            json!("2.0")
        } else {
            wrong(rng)
        };
        message.insert("jsonrpc".into(), version);
    }
    // Missing ids make notifications; notifications/* methods with ids are included too.
    if !rng.chance(15) {
        message.insert("id".into(), id(rng, counter));
    }
    let method = if rng.chance(90) {
        json!(rng.pick(METHODS))
    } else {
        wrong(rng)
    };
    let params = match method.as_str() {
        Some("tools/call") if rng.chance(80) => {
            let name = *rng.pick(&["complete", "chat", "status", "list_models", "nope", ""]);
            let mut params = json!({"name": name, "arguments": tool_arguments(rng)});
            if rng.chance(20) {
                params["_meta"] = json!({"progressToken": value(rng, 1)});
            }
            params
        }
        _ if rng.chance(20) => wrong(rng),
        _ => value(rng, 3),
    };
    message.insert("method".into(), method);
    if !rng.chance(10) {
        message.insert("params".into(), params);
    }
    if rng.chance(5) {
        message.insert("result".into(), value(rng, 1));
    }
    Value::Object(message)
}

/// Damages a serialized message: a cut, flipped bytes, invalid UTF-8 or a lone surrogate.
pub fn mutate(rng: &mut Rng, mut line: Vec<u8>) -> Vec<u8> {
    match rng.below(5) {
        0 => line.truncate(rng.below(line.len().max(1))),
        1 => {
            for _ in 0..=rng.below(3) {
                let at = rng.below(line.len().max(1));
                if let Some(byte) = line.get_mut(at) {
                    *byte ^= 1 << rng.below(8);
                }
            }
        }
        2 => {
            const BAD: [&[u8]; 4] = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88"];
            let bad = *rng.pick(&BAD);
            let at = rng.below(line.len().max(1));
            line.splice(at..at, bad.iter().copied());
        }
        3 => {
            let at = rng.below(line.len().max(1));
            line.splice(at..at, b"\\ud800".iter().copied());
        }
        _ => {
            let at = rng.below(line.len().max(1));
            line.splice(at..at, b"\x00\t\r".iter().copied());
        }
    }
    // A newline would only split the line in two; keep one line per case.
    line.retain(|b| *b != b'\n');
    line
}

/// `depth` nested arrays, optionally inside a request's params.
pub fn deep(depth: usize, as_params: bool, counter: u64) -> Vec<u8> {
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    if as_params {
        format!(
            r#"{{"jsonrpc":"2.0","id":"fz-{counter}","method":"tools/call","params":{{"name":"complete","arguments":{{"prompt":{nested}}}}}}}"#
        )
        .into_bytes()
    } else {
        nested.into_bytes()
    }
}

/// One fuzz line (without its newline).
pub fn line(rng: &mut Rng, counter: u64) -> Vec<u8> {
    match rng.below(20) {
        0..=7 => message(rng, counter).to_string().into_bytes(),
        8..=11 => {
            let line = message(rng, counter).to_string().into_bytes();
            mutate(rng, line)
        }
        12 => {
            let batch: Vec<Value> = (0..rng.below(4))
                .map(|i| message(rng, counter * 8 + i as u64 + 1_000_000))
                .collect();
            json!(batch).to_string().into_bytes()
        }
        13 => value(rng, 3).to_string().into_bytes(),
        14 => deep(1000 + rng.below(4000), rng.chance(50), counter),
        15 => {
            let raw: Vec<u8> = (0..rng.below(200)).map(|_| rng.next_u64() as u8).collect();
            raw.into_iter().filter(|b| *b != b'\n').collect()
        }
        16 => {
            let literal = odd(rng);
            format!(r#"{{"jsonrpc":"2.0","id":{literal},"method":"ping"}}"#).into_bytes()
        }
        17 => {
            let response =
                json!({"jsonrpc": "2.0", "id": id(rng, counter), "result": value(rng, 2)});
            response.to_string().into_bytes()
        }
        18 => {
            let error = json!({"jsonrpc": "2.0", "id": id(rng, counter),
                "error": {"code": value(rng, 0), "message": value(rng, 0)}});
            error.to_string().into_bytes()
        }
        _ => Vec::new(),
    }
}
