// Times `smerge --source-map --sources-content` beside concat-with-sourcemaps
// (what gulp-concat uses) and fast-sourcemap-concat (broccoli's), on one
// generated project of 2,000 JS files with their own maps, in one run; then
// times `smerge --watch` rebuilding after one file changes.
//
// usage: node benches/sourcemap-compare.js [--files N] [--runs N] [--only LIST] [--keep]
//   --only: comma-separated among smerge, concat-with-sourcemaps,
//           fast-sourcemap-concat, watch (default: all of them)
//   SMERGE=path/to/smerge (default target/release/smerge)
//
// The npm packages come from tests/sourcemap (npm ci --prefix tests/sourcemap).

'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync, spawn, execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const modules = path.join(root, 'tests/sourcemap/node_modules');
const esbuild = require(path.join(modules, 'esbuild'));

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const FILES = option('--files', 2000);
const RUNS = option('--runs', 3);
const keep = args.includes('--keep');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1].split(',') : null;
const wanted = (name) => only === null || only.includes(name);
const smerge = process.env.SMERGE ?? path.join(root, 'target/release/smerge');

// ---- the project -------------------------------------------------------

/// A deterministic pseudo-random TypeScript module of about 25 KB.
function source(seed) {
  let state = seed * 2654435761 % 4294967296 || 1;
  const next = () => (state = (state * 1664525 + 1013904223) % 4294967296);
  const words = ['alpha', 'beta', 'gamma', 'delta', 'value', 'count', 'index', 'result', 'item', 'state'];
  const word = () => words[next() % words.length] + (next() % 100);
  let text = `// module ${seed}: generated for the source map benchmark\n`;
  for (let f = 0; f < 32; f++) {
    const name = word();
    text += `export function ${name}_${f}(input: number, label: string): string {\n`;
    for (let l = 0; l < 14; l++) {
      const v = word();
      switch (next() % 4) {
        case 0: text += `  const ${v} = input * ${next() % 1000} + ${next() % 77};\n`; break;
        case 1: text += `  if (input > ${next() % 500}) { label = label + "${word()} é😀"; }\n`; break;
        case 2: text += `  for (let i = 0; i < ${next() % 9}; i++) { input += i * ${next() % 13}; }\n`; break;
        default: text += `  console.log("${word()}", input, label.length);\n`;
      }
    }
    text += `  return label + String(input);\n}\n\n`;
  }
  return text;
}

/// esbuild's output for module `name`: the code, ending with its
/// `sourceMappingURL` comment, and the map.
function compile(ts, name) {
  const out = esbuild.transformSync(ts, {
    loader: 'ts', sourcemap: 'external', sourcefile: `../src/${name}.ts`, charset: 'utf8',
  });
  return { code: `${out.code}//# sourceMappingURL=${name}.js.map\n`, map: out.map };
}

function generate(dir) {
  const marker = path.join(dir, '.complete');
  if (fs.existsSync(marker)) return;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'js'), { recursive: true });
  for (let i = 0; i < FILES; i++) {
    const name = `m${String(i).padStart(4, '0')}`;
    const ts = source(i + 1);
    fs.writeFileSync(path.join(dir, 'src', `${name}.ts`), ts);
    const out = compile(ts, name);
    fs.writeFileSync(path.join(dir, 'js', `${name}.js`), out.code);
    fs.writeFileSync(path.join(dir, 'js', `${name}.js.map`), out.map);
  }
  fs.writeFileSync(marker, '');
}

// ---- the tools -----------------------------------------------------------

const CONCAT_WITH_SOURCEMAPS = `
const fs = require('fs'); const path = require('path');
const Concat = require(${JSON.stringify(path.join(modules, 'concat-with-sourcemaps'))});
const [dir, out] = process.argv.slice(2);
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort();
const concat = new Concat(true, path.basename(out), '\\n');
for (const f of files) {
  // gulp-sourcemaps loads the map and drops the comment before gulp-concat.
  const code = fs.readFileSync(path.join(dir, f), 'utf8').replace(/\\/\\/# sourceMappingURL=.*\\n?$/, '');
  const map = JSON.parse(fs.readFileSync(path.join(dir, f + '.map'), 'utf8'));
  map.sources = map.sources.map((s) => path.relative(path.dirname(out), path.resolve(dir, s)));
  concat.add(f, code, map);
}
fs.writeFileSync(out, concat.content + '\\n//# sourceMappingURL=' + path.basename(out) + '.map\\n');
fs.writeFileSync(out + '.map', concat.sourceMap);
`;

const FAST_SOURCEMAP_CONCAT = `
const fs = require('fs'); const path = require('path');
const SourceMap = require(${JSON.stringify(path.join(modules, 'fast-sourcemap-concat'))});
const [dir, out] = process.argv.slice(2);
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.js')).sort();
const concat = new SourceMap({ outputFile: out, mapFile: out + '.map', mapURL: path.basename(out) + '.map', baseDir: dir, cache: {} });
for (const f of files) concat.addFile(f);
concat.end().catch((e) => { console.error(e); process.exit(1); });
`;

function timed(command, argv, out) {
  for (const f of [out, out + '.map']) fs.rmSync(f, { force: true });
  execFileSync('sync');
  const start = process.hrtime.bigint();
  const run = spawnSync('/usr/bin/time', ['-f', '%M %U %S', command, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (run.status !== 0) throw new Error(`${command} ${argv.join(' ')}: ${run.stderr}`);
  const [kib, user, system] = run.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { seconds, rss: kib / 1024, cpu: user + system };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/// CPU time (user and system, every thread) a live process used so far,
/// in milliseconds.
function cpuMs(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks * 1000 / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/// Peak RSS (VmHWM) of a live process, in MiB.
function peakRss(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmHWM:\s+(\d+)/)[1]) / 1024;
}

/// Starts `smerge --watch`, then saves one module and its map at a time (a
/// different one each round, as a compiler in watch mode writes them) and
/// times each rebuild: smerge's own figure ("in N ms", from the start of
/// the rebuild to the output renamed into place), the time from the end of
/// the save to the rebuild's line on stderr (the wait for the inputs to be
/// quiet included), and the CPU time smerge used meanwhile. Each rebuild is
/// checked: the bundle holds the edit and both bundle and map are new
/// files.
async function watchRebuilds(project, out, rounds) {
  const child = spawn(smerge, ['--watch', '--source-map', '--sources-content', '--include', '*.js',
    path.join(project, 'js'), out], { stdio: ['ignore', 'ignore', 'pipe'] });
  let buffer = '';
  const lines = [];
  let waiting = null;
  child.stderr.on('data', (chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      lines.push({ text: buffer.slice(0, nl), at: process.hrtime.bigint() });
      buffer = buffer.slice(nl + 1);
      if (waiting) waiting();
    }
  });
  child.on('exit', (code) => { if (waiting) waiting(code); });
  const nextLine = () => new Promise((resolve, reject) => {
    const check = (exited) => {
      const i = lines.findIndex((l) => l.text.endsWith('watching'));
      if (i >= 0) { waiting = null; resolve(lines.splice(0, i + 1).pop()); }
      else if (exited !== undefined) reject(new Error(`smerge --watch exited: ${lines.map((l) => l.text).join('\n')}`));
      else waiting = check;
    };
    check();
  });
  const first = (await nextLine()).text;
  const own = [];
  const wall = [];
  let cpu = 0;
  let extra = 0;
  const files = fs.readdirSync(path.join(project, 'js')).filter((f) => f.endsWith('.js')).sort();
  for (let i = 0; i < rounds; i++) {
    const name = files[Math.floor((i + 0.5) * files.length / rounds)].replace(/\.js$/, '');
    const js = path.join(project, 'js', `${name}.js`);
    const saved = [js, `${js}.map`].map((f) => fs.readFileSync(f));
    const before = [fs.statSync(out).ino, fs.statSync(out + '.map').ino];
    execFileSync('sync');
    await new Promise((resolve) => setTimeout(resolve, 200));
    // What a compiler in watch mode does on a save: the module and its map
    // written again, the map first.
    const edit = `changed_${i}`;
    const ts = fs.readFileSync(path.join(project, 'src', `${name}.ts`), 'utf8') + `export const ${edit} = ${i};\n`;
    const built = compile(ts, name);
    const cpuBefore = cpuMs(child.pid);
    fs.writeFileSync(`${js}.map`, built.map);
    fs.writeFileSync(js, built.code);
    const savedAt = process.hrtime.bigint();
    // A save of two files may be seen as two rebuilds (the map's, then the
    // module's): wait for the one whose bundle holds the edit.
    let line;
    let ms = 0;
    for (let rebuilds = 1; ; rebuilds++) {
      line = await nextLine();
      const took = line.text.match(/in (\d+) ms/);
      if (!took) throw new Error(`rebuild failed: ${line.text}`);
      ms += Number(took[1]);
      if (fs.readFileSync(out, 'utf8').includes(edit)) break;
      if (rebuilds === 3) throw new Error('the bundle misses the edit');
      extra++;
    }
    cpu += cpuMs(child.pid) - cpuBefore;
    own.push(ms);
    wall.push(Number(line.at - savedAt) / 1e6);
    const after = [fs.statSync(out).ino, fs.statSync(out + '.map').ino];
    if (after[0] === before[0] || after[1] === before[1]) throw new Error('bundle or map not rewritten');
    // Put it back, and let that rebuild pass untimed.
    fs.writeFileSync(`${js}.map`, saved[1]);
    fs.writeFileSync(js, saved[0]);
    await nextLine();
  }
  const rss = peakRss(child.pid);
  child.kill('SIGINT');
  await new Promise((resolve) => child.on('exit', resolve));
  const leftovers = fs.readdirSync(path.dirname(out)).filter((f) => f.startsWith('.smerge'));
  if (leftovers.length > 0) throw new Error(`temporary files left: ${leftovers}`);
  return { first, own, wall, rss, cpu: cpu / rounds, extra };
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'smerge-maps-'));
  const project = path.join(os.tmpdir(), `smerge-maps-project-${FILES}`);
  generate(project);
  const jsBytes = fs.readdirSync(path.join(project, 'js')).filter((f) => f.endsWith('.js'))
    .reduce((sum, f) => sum + fs.statSync(path.join(project, 'js', f)).size, 0);
  const mapBytes = fs.readdirSync(path.join(project, 'js')).filter((f) => f.endsWith('.map'))
    .reduce((sum, f) => sum + fs.statSync(path.join(project, 'js', f)).size, 0);
  console.log(`project: ${FILES} files, ${(jsBytes / 1048576).toFixed(1)} MiB of JS, ${(mapBytes / 1048576).toFixed(1)} MiB of maps`);
  const peers = path.join(work, 'peers');
  fs.mkdirSync(peers);
  fs.writeFileSync(path.join(peers, 'cws.js'), CONCAT_WITH_SOURCEMAPS);
  fs.writeFileSync(path.join(peers, 'fsc.js'), FAST_SOURCEMAP_CONCAT);
  const js = path.join(project, 'js');
  const tools = [
    ['smerge', smerge, ['--source-map', '--sources-content', '--include', '*.js', js]],
    ['concat-with-sourcemaps', process.execPath, [path.join(peers, 'cws.js'), js]],
    ['fast-sourcemap-concat', process.execPath, [path.join(peers, 'fsc.js'), js]],
  ];
  const results = {};
  // Rounds: each tool once per round, the order rotated each round, so that
  // the machine's load falls on every tool alike.
  const chosen = tools.filter(([name]) => wanted(name));
  const runs = Object.fromEntries(chosen.map(([name]) => [name, []]));
  for (let round = 0; round < RUNS; round++) {
    for (let k = 0; k < chosen.length; k++) {
      const [name, command, argv] = chosen[(round + k) % chosen.length];
      const out = path.join(work, `${name}.js`);
      runs[name].push(timed(command, [...argv, out], out));
    }
  }
  for (const [name] of chosen) {
    const out = path.join(work, `${name}.js`);
    results[name] = {
      seconds: median(runs[name].map((r) => r.seconds)),
      cpu: median(runs[name].map((r) => r.cpu)),
      rss: Math.max(...runs[name].map((r) => r.rss)),
      bundle: fs.statSync(out).size,
      map: fs.statSync(out + '.map').size,
    };
  }
  if (Object.keys(results).length > 0) {
    const base = results.smerge?.seconds;
    const baseCpu = results.smerge?.cpu;
    console.log('\n| tool | wall time (median of ' + RUNS + ') | smerge is | CPU time (median) | smerge is | peak RSS | bundle | map |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const [name, r] of Object.entries(results)) {
      const ratio = base === undefined ? '' : `${(r.seconds / base).toFixed(1)}× faster`;
      const cpuRatio = baseCpu === undefined ? '' : `${(r.cpu / baseCpu).toFixed(1)}× less`;
      console.log(`| ${name} | ${r.seconds.toFixed(2)} s | ${ratio} | ${r.cpu.toFixed(2)} s | ${cpuRatio} | ${r.rss.toFixed(1)} MiB | ${(r.bundle / 1048576).toFixed(1)} MiB | ${(r.map / 1048576).toFixed(1)} MiB |`);
    }
  }
  if (wanted('watch')) {
    const rounds = Math.max(RUNS, 5);
    const watch = await watchRebuilds(project, path.join(work, 'watch.js'), rounds);
    const list = (values) => values.map((v) => v.toFixed(0)).join(', ');
    console.log(`\n--watch: ${watch.first}`);
    console.log(`--watch rebuild after one file changed, bundle and map rewritten (${rounds} saves, ` +
      `a different file each time):`);
    console.log(`  rebuild (smerge's own time, debounce excluded; both rebuilds' when a save made two): median ${median(watch.own)} ms (${list(watch.own)})`);
    console.log(`  save to rebuild reported (debounce included): median ${median(watch.wall).toFixed(0)} ms (${list(watch.wall)})`);
    console.log(`  CPU time of smerge per save (user + system, all threads): mean ${watch.cpu.toFixed(0)} ms`);
    console.log(`  saves seen as two rebuilds (the map's, then the module's): ${watch.extra} of ${rounds}`);
    console.log(`  peak RSS of the watching smerge: ${watch.rss.toFixed(1)} MiB`);
  }
  if (!keep) fs.rmSync(work, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
