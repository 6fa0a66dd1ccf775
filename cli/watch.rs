//! `--watch`: merge, then merge again after every change to the inputs.

use std::process::ExitCode;

use crate::args::MergeArgs;

/// Runs the merge, then again after each change, until SIGINT or SIGTERM.
#[cfg(feature = "watch")]
pub(crate) async fn run(args: MergeArgs) -> anyhow::Result<ExitCode> {
    use std::collections::BTreeSet;
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    use anyhow::{Context, bail};
    use notify::{RecursiveMode, Watcher};
    use tokio::sync::mpsc;

    use crate::merge::{Reuse, build, split_paths};

    /// How long the inputs must stay quiet before a rebuild: an editor's
    /// save is several events (write, rename, chmod) in a few milliseconds.
    const DEBOUNCE: Duration = Duration::from_millis(50);
    /// How long they must stay quiet once every file written to was closed
    /// (or renamed into place): a save is complete then, but a tool may be
    /// saving a second file (a module and its map) right after.
    const SETTLE: Duration = Duration::from_millis(10);

    let (inputs, output) = split_paths(&args)?;
    let Some(output) = output.filter(|path| path.as_os_str() != "-") else {
        bail!("--watch needs an OUTPUT file, not standard output");
    };
    let output = &output;
    if inputs.iter().any(|input| input.as_os_str() == "-") {
        bail!("--watch cannot read standard input");
    }
    // Armed before the first build, so no change after it is missed.
    let (events, mut changes) = mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let _ = events.send(event);
    })
    .context("starting to watch the inputs")?;
    for input in &inputs {
        // A file is watched through its directory: an editor that saves by
        // writing a new file and renaming it over the old one replaces the
        // file's inode, which a watch on the file itself would lose.
        let (path, mode) = if input.is_dir() {
            let mode = if args.recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            (input.clone(), mode)
        } else {
            let parent = input.parent().filter(|p| !p.as_os_str().is_empty());
            (
                parent.map_or_else(|| PathBuf::from("."), PathBuf::from),
                RecursiveMode::NonRecursive,
            )
        };
        watcher
            .watch(&path, mode)
            .with_context(|| format!("watching {}", smerge::quote(&path)))?;
    }
    // What smerge writes itself is no change to the inputs.
    let absolute =
        |path: &std::path::Path| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut own: Vec<PathBuf> = vec![absolute(output)];
    if let Some(manifest) = &args.manifest {
        own.push(absolute(manifest));
    }
    if args.maps.source_map.is_some() {
        let mut map = output.clone().into_os_string();
        map.push(".map");
        own.push(absolute(PathBuf::from(map).as_path()));
        if let Some(file) = args
            .maps
            .source_map
            .as_deref()
            .filter(|f| !f.is_empty() && *f != "inline")
        {
            own.push(absolute(std::path::Path::new(file)));
        }
    }
    let ignored = |path: &std::path::Path| {
        own.iter().any(|o| o == &absolute(path))
            || path
                .file_name()
                .is_some_and(smerge::fs::is_smerge_temp_name)
    };

    let reuse = Reuse {
        #[cfg(feature = "source-map")]
        maps: Some(smerge::sourcemap::MapCache::new()),
    };
    let quiet = args.quiet;
    let work = async {
        let mut changed: BTreeSet<PathBuf> = BTreeSet::new();
        // Files written to and not closed yet: their save is under way.
        let mut writing: BTreeSet<PathBuf> = BTreeSet::new();
        let mut first = true;
        loop {
            // The files this build replaces are freed after it, off its
            // path: the last close of a replaced file drops its pages.
            let replaced: Vec<std::fs::File> = own
                .iter()
                .filter_map(|path| std::fs::File::open(path).ok())
                .collect();
            let started = Instant::now();
            let result = build(&args, &reuse).await;
            let took = started.elapsed().as_millis();
            if !replaced.is_empty() {
                std::thread::spawn(move || drop(replaced));
            }
            if !quiet {
                let what = match (first, changed.len()) {
                    (true, _) => "built".to_string(),
                    (false, 1) => {
                        let path = changed.first().expect("one");
                        let shown = std::env::current_dir()
                            .ok()
                            .and_then(|dir| path.strip_prefix(dir).ok())
                            .unwrap_or(path);
                        format!("{} changed: rebuilt", smerge::quote(shown))
                    }
                    (false, n) => format!("{n} files changed: rebuilt"),
                };
                match &result {
                    Ok(code) if *code == ExitCode::SUCCESS => {
                        eprintln!(
                            "smerge: {what} {} in {took} ms; watching",
                            smerge::quote(output)
                        );
                    }
                    Ok(_) => eprintln!(
                        "smerge: {what} {} in {took} ms, with warnings; watching",
                        smerge::quote(output)
                    ),
                    Err(error) => eprintln!(
                        "smerge: rebuild failed: {error:#}; {} keeps its last good content; watching",
                        smerge::quote(output)
                    ),
                }
            }
            first = false;
            changed.clear();
            writing.clear();
            // Wait for a change, then for the inputs to be quiet.
            loop {
                let quiet_for = if writing.is_empty() { SETTLE } else { DEBOUNCE };
                let event = match changed.is_empty() {
                    true => changes.recv().await,
                    false => match tokio::time::timeout(quiet_for, changes.recv()).await {
                        Ok(event) => event,
                        Err(_) => break,
                    },
                };
                match event {
                    None => return anyhow::Ok(ExitCode::FAILURE),
                    Some(Ok(event)) => {
                        use notify::EventKind;
                        use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind};
                        let paths = event.paths.into_iter().filter(|p| !ignored(p));
                        match event.kind {
                            EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
                                for path in paths {
                                    writing.remove(&path);
                                    changed.insert(path);
                                }
                            }
                            EventKind::Access(_) => {}
                            EventKind::Create(CreateKind::File)
                            | EventKind::Modify(ModifyKind::Data(_)) => {
                                for path in paths {
                                    writing.insert(path.clone());
                                    changed.insert(path);
                                }
                            }
                            _ => changed.extend(paths),
                        }
                    }
                    Some(Err(error)) => {
                        eprintln!("smerge: warning: watching the inputs: {error}");
                    }
                }
            }
        }
    };
    // Ends only when the watcher does; SIGINT and SIGTERM drop the whole
    // run (main's signal handling), a merge in progress included.
    let result = work.await;
    drop(watcher);
    result
}

/// Without file watching built in, `--watch` is an error.
#[cfg(not(feature = "watch"))]
pub(crate) async fn run(_args: MergeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("this smerge was built without --watch (the watch feature)")
}
