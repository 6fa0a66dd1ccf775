//! The Node.js side: one `node` process running `node_runner.js`, fed
//! scenarios as JSON lines, answering with traces.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use super::scenario::{Scenario, Trace};

/// The Node.js major version whose streams are the oracle.
const ORACLE_MAJOR: &str = "v20.";

/// A running `node_runner.js`.
pub struct Node {
    child: Child,
    input: BufWriter<ChildStdin>,
    output: BufReader<ChildStdout>,
}

impl Node {
    /// Starts the runner with the `node` that `CONFORMANCE_NODE` names, or
    /// the one on the `PATH`; it must be Node.js 20.
    pub fn start() -> Node {
        let program = std::env::var("CONFORMANCE_NODE").unwrap_or_else(|_| "node".into());
        let version = Command::new(&program)
            .arg("--version")
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run `{program}` ({e}): the conformance tests need Node.js 20 (.ci/run installs it)")
            });
        let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
        assert!(
            version.starts_with(ORACLE_MAJOR),
            "`{program}` is Node.js {version}; the conformance oracle is Node.js 20 \
             (set CONFORMANCE_NODE to a Node.js 20 binary)"
        );
        let runner = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/conformance/node_runner.js"
        );
        let mut child = Command::new(&program)
            .arg(runner)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {runner}: {e}"));
        let input = BufWriter::new(child.stdin.take().expect("piped stdin"));
        let output = BufReader::new(child.stdout.take().expect("piped stdout"));
        Node {
            child,
            input,
            output,
        }
    }

    /// Runs one scenario.
    pub fn run(&mut self, scenario: &Scenario) -> Trace {
        send(&mut self.input, std::slice::from_ref(scenario));
        self.receive()
    }

    /// Runs every scenario of `scenarios`, in order: a thread feeds them
    /// while this one reads the traces, so neither pipe fills up.
    pub fn run_all(&mut self, scenarios: &[Scenario]) -> Vec<Trace> {
        let (input, output) = (&mut self.input, &mut self.output);
        std::thread::scope(|scope| {
            scope.spawn(move || send(input, scenarios));
            scenarios.iter().map(|_| receive(output)).collect()
        })
    }

    fn receive(&mut self) -> Trace {
        receive(&mut self.output)
    }
}

/// Reads one trace.
fn receive(output: &mut BufReader<ChildStdout>) -> Trace {
    let mut line = String::new();
    let read = output
        .read_line(&mut line)
        .expect("reading node_runner.js's output");
    assert!(read > 0, "node_runner.js exited early");
    serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("node_runner.js printed {line:?}, not a trace: {e}"))
}

fn send(input: &mut BufWriter<ChildStdin>, scenarios: &[Scenario]) {
    for scenario in scenarios {
        serde_json::to_writer(&mut *input, scenario).expect("writing a scenario to node");
        input.write_all(b"\n").expect("writing a scenario to node");
    }
    input.flush().expect("writing a scenario to node");
}

impl Drop for Node {
    fn drop(&mut self) {
        // Stops the runner, and waits so that no process is left behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
