//! Load test for `attune serve`, from a second process on loopback. Starts the release binary
//! as a child (`attune serve --model DIR --port P`), then for 1, 8 and 32 concurrent clients,
//! each on its own keep-alive connection, sends `POST /predict` requests of 1 text and of 16
//! texts (~20 words each) for a fixed time, and prints requests/s, texts/s, p50/p99 latency and
//! the server's resident memory (VmRSS) after each phase, as a Markdown table. `--rounds 2`
//! repeats the table, to show that memory levels off instead of growing.
//!
//! Without `--model`, it serves a random-weight classifier of all-MiniLM-L6-v2's shape (6 layers,
//! hidden 384, 2 labels), written to a temporary folder: the same compute as a fine-tuned MiniLM.
//!
//! Run: `cargo build --release && cargo run --release --example serve_load -- [--model DIR]
//! [--seconds 8] [--rounds 1] [--port 8799] [--binary target/release/attune]`

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use attune::model::synthetic::{random_classifier, shape_config};
use attune::model::LoadOptions;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WORDS: [&str; 40] = [
    "the", "a", "movie", "film", "was", "is", "very", "not", "good", "bad", "great", "boring", "plot", "actors",
    "story", "and", "but", "i", "it", "loved", "hated", "this", "that", "really", "quite", "fun", "slow", "music",
    "ending", "scenes", "funny", "sad", "long", "short", "best", "worst", "ever", "time", "watch", "again",
];

struct Options {
    model: Option<PathBuf>,
    binary: PathBuf,
    port: u16,
    seconds: f64,
    rounds: usize,
}

fn parse_options() -> anyhow::Result<Options> {
    let mut opts = Options {
        model: None,
        binary: Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/attune"),
        port: 8799,
        seconds: 8.0,
        rounds: 1,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--model" => opts.model = Some(value.into()),
            "--binary" => opts.binary = value.into(),
            "--port" => opts.port = value.parse().context("--port must be a number")?,
            "--seconds" => opts.seconds = value.parse().context("--seconds must be a number")?,
            "--rounds" => opts.rounds = value.parse().context("--rounds must be a number")?,
            _ => bail!("unknown flag {flag}; use --model, --binary, --port, --seconds or --rounds"),
        }
    }
    Ok(opts)
}

/// Writes the random MiniLM-shaped classifier to `dir`.
fn write_minilm_classifier(dir: &Path) -> anyhow::Result<()> {
    let config = shape_config("minilm").context("no minilm shape")?;
    let opts = LoadOptions { max_len: 256, ..LoadOptions::default() };
    let model = random_classifier(&config, &WORDS, vec!["neg".into(), "pos".into()], &opts)?;
    model.save(dir)?;
    Ok(())
}

/// A text of 20 words, different for each `seed`.
fn text(seed: usize) -> String {
    (0..20).map(|i| WORDS[(seed * 13 + i * 7 + i * i) % WORDS.len()]).collect::<Vec<_>>().join(" ")
}

fn body(seed: usize, texts: usize) -> String {
    let texts: Vec<String> = (0..texts).map(|i| text(seed + i)).collect();
    serde_json::json!({ "texts": texts }).to_string()
}

/// A keep-alive HTTP/1.1 connection that sends one request at a time.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    port: u16,
}

impl Client {
    fn connect(port: u16) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        Ok(Self { reader: BufReader::new(stream.try_clone()?), writer: stream, port })
    }

    /// (status, body) of one request.
    fn request(&mut self, method: &str, path: &str, body: &str) -> anyhow::Result<(u16, String)> {
        write!(
            self.writer,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.port,
            body.len()
        )?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line.split(' ').nth(1).context("no status line")?.parse()?;
        let mut length = 0;
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse()?;
                }
            }
        }
        let mut bytes = vec![0; length];
        self.reader.read_exact(&mut bytes)?;
        Ok((status, String::from_utf8(bytes)?))
    }
}

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).context("no VmRSS in /proc status")?;
    Ok(line.split_whitespace().nth(1).context("bad VmRSS line")?.parse()?)
}

/// Child process that is killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(opts: &Options, model: &Path) -> anyhow::Result<Server> {
    if !opts.binary.is_file() {
        bail!("{} is missing; run `cargo build --release` first", opts.binary.display());
    }
    let child = Command::new(&opts.binary)
        .args(["serve", "--model"])
        .arg(model)
        .args(["--port", &opts.port.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("could not start {}", opts.binary.display()))?;
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok((200, _)) = Client::connect(opts.port).and_then(|mut c| c.request("GET", "/health", "")) {
            return Ok(server);
        }
        if Instant::now() > deadline {
            bail!("the server did not answer /health within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

struct Phase {
    requests: usize,
    errors: usize,
    latencies_ms: Vec<f64>,
    elapsed_secs: f64,
}

/// `clients` threads send requests of `texts` texts for `seconds`.
fn run_phase(port: u16, clients: usize, texts: usize, seconds: f64) -> anyhow::Result<Phase> {
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let workers: Vec<_> = (0..clients)
        .map(|client| {
            std::thread::spawn(move || -> anyhow::Result<(Vec<f64>, usize)> {
                let mut connection = Client::connect(port)?;
                let (mut latencies, mut errors) = (Vec::new(), 0);
                let mut seed = client * 1000;
                while Instant::now() < deadline {
                    let body = body(seed, texts);
                    seed += texts;
                    let sent = Instant::now();
                    let (status, _) = connection.request("POST", "/predict", &body)?;
                    latencies.push(sent.elapsed().as_secs_f64() * 1e3);
                    errors += usize::from(status != 200);
                }
                Ok((latencies, errors))
            })
        })
        .collect();
    let mut phase = Phase { requests: 0, errors: 0, latencies_ms: Vec::new(), elapsed_secs: 0.0 };
    for worker in workers {
        let (latencies, errors) = worker.join().map_err(|_| anyhow::anyhow!("a client thread panicked"))??;
        phase.requests += latencies.len();
        phase.errors += errors;
        phase.latencies_ms.extend(latencies);
    }
    phase.elapsed_secs = start.elapsed().as_secs_f64();
    phase.latencies_ms.sort_by(f64::total_cmp);
    Ok(phase)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() -> anyhow::Result<()> {
    let opts = parse_options()?;
    let scratch = tempfile::tempdir()?;
    let model = match &opts.model {
        Some(dir) => dir.clone(),
        None => {
            let dir = scratch.path().join("minilm-random");
            write_minilm_classifier(&dir)?;
            dir
        }
    };
    let server = start_server(&opts, &model)?;
    let pid = server.0.id();
    let mut warm = Client::connect(opts.port)?;
    for i in 0..3 {
        warm.request("POST", "/predict", &body(i, 16))?;
    }
    let rss_start = rss_kib(pid)?;
    println!(
        "model: {}   server pid {pid}   RSS after start and warm-up: {:.1} MiB",
        model.display(),
        rss_start as f64 / 1024.0
    );
    println!(
        "\n| clients | texts/request | requests | errors | requests/s | texts/s | p50 ms | p99 ms | RSS after, MiB |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for _ in 0..opts.rounds {
        for texts in [1, 16] {
            for clients in [1, 8, 32] {
                let phase = run_phase(opts.port, clients, texts, opts.seconds)?;
                let rps = phase.requests as f64 / phase.elapsed_secs;
                println!(
                    "| {clients} | {texts} | {} | {} | {rps:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
                    phase.requests,
                    phase.errors,
                    rps * texts as f64,
                    percentile(&phase.latencies_ms, 0.5),
                    percentile(&phase.latencies_ms, 0.99),
                    rss_kib(pid)? as f64 / 1024.0
                );
            }
        }
    }
    Ok(())
}
