// Checks smerge's source maps with Mozilla's `source-map` consumer.
//
// usage: node check.js SMERGE WORKDIR
//
// Inputs are made by esbuild and terser (with their own maps: files beside
// them, inline data URLs, an index map, CSS) and by hand (non-ASCII lines,
// CRLF, a BOM, an empty file, no final newline). For each set of merge
// options, the bundle must be the inputs laid out as this script lays them
// out, and the bundle's map, read by Mozilla's consumer, must map every
// sampled position of an input as the input's own map does (or, for an
// input without a map, to the start of the same line of the input), and
// positions in text smerge generated to nothing.

'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { execFileSync, spawnSync } = require('node:child_process');
const { SourceMapConsumer } = require('source-map');
const esbuild = require('esbuild');
const terser = require('terser');

const [smergeArg, workArg] = process.argv.slice(2);
const smerge = smergeArg && path.resolve(smergeArg);
const work = workArg && path.resolve(workArg);
if (!smergeArg || !workArg) {
  console.error('usage: node check.js SMERGE WORKDIR');
  process.exit(2);
}

const BOM = '\ufeff';
const MAP_COMMENT = /(?:^|\n)[ \t]*(?:\/\/[#@] sourceMappingURL=(\S+)|\/\*[#@] sourceMappingURL=(\S+?)[ \t]*\*\/)[\s]*$/;

function write(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

// ---- inputs ------------------------------------------------------------

async function makeInputs(dir) {
  const src = path.join(dir, 'orig');
  const inputs = path.join(dir, 'in');
  write(path.join(src, 'util.ts'), [
    'export function greet(name: string): string {',
    '  const message = "hello, " + name + " — ünïcödé 😀";',
    '  return message;',
    '}',
    'export const answer = (x: number) => x * 42;',
    '',
  ].join('\n'));
  write(path.join(src, 'main.ts'), [
    'import { greet, answer } from "./util";',
    'console.log(greet("world"), answer(2));',
    'for (let i = 0; i < 3; i++) {',
    '  console.log("line", i, "é😀é");',
    '}',
    '',
  ].join('\n'));
  write(path.join(src, 'style.css'), 'body {\n  color: red;\n}\n.a .b {\n  margin: 0 auto;\n}\n');

  // esbuild: a bundle with its map in a file beside it (with sourcesContent).
  await esbuild.build({
    entryPoints: [path.join(src, 'main.ts')], bundle: true, sourcemap: true,
    outfile: path.join(inputs, '10-bundle.js'), logLevel: 'error',
  });
  // esbuild: minified, its map inline as a data URL.
  await esbuild.build({
    entryPoints: [path.join(src, 'util.ts')], minify: true, sourcemap: 'inline',
    outfile: path.join(inputs, '20-inline.min.js'), logLevel: 'error', charset: 'utf8',
  });
  // terser: minified with names, a map file without sourcesContent, in a
  // directory of its own.
  const plain = fs.readFileSync(path.join(inputs, '10-bundle.js'), 'utf8').replace(MAP_COMMENT, '\n');
  write(path.join(src, 'plain.js'), plain);
  const minified = await terser.minify({ 'plain.js': plain }, {
    sourceMap: { url: 'maps/30-terser.js.map', includeSources: false },
    mangle: true,
  });
  const terserMap = JSON.parse(minified.map);
  terserMap.sources = ['../../orig/plain.js'];
  write(path.join(inputs, '30-terser.js'), minified.code);
  write(path.join(inputs, 'maps/30-terser.js.map'), JSON.stringify(terserMap));
  // An index map: two esbuild outputs one after the other, sections.
  const a = await esbuild.build({
    entryPoints: [path.join(src, 'util.ts')], sourcemap: 'external', write: false,
    outfile: path.join(inputs, 'a.js'), logLevel: 'error', format: 'esm',
  });
  const b = await esbuild.build({
    entryPoints: [path.join(src, 'main.ts')], sourcemap: 'external', write: false,
    outfile: path.join(inputs, 'b.js'), logLevel: 'error', bundle: true, minify: true,
  });
  const code = (result) => result.outputFiles.find((f) => f.path.endsWith('.js')).text.replace(MAP_COMMENT, '\n');
  const map = (result) => JSON.parse(result.outputFiles.find((f) => f.path.endsWith('.map')).text);
  const first = code(a);
  write(path.join(inputs, '40-index.js'), first + code(b) + '//# sourceMappingURL=40-index.js.map\n');
  write(path.join(inputs, '40-index.js.map'), JSON.stringify({
    version: 3,
    sections: [
      { offset: { line: 0, column: 0 }, map: map(a) },
      { offset: { line: first.split('\n').length - 1, column: 0 }, map: map(b) },
    ],
  }));
  // Plain inputs: non-ASCII, CRLF, a BOM, empty, no final newline.
  write(path.join(inputs, '50-plain.js'), 'const é = "😀😀";\nlet x = 1; // ünï\n\nx++;\n');
  write(path.join(inputs, '51-crlf.js'), 'var a = 1;\r\nvar b = "é";\r\n');
  write(path.join(inputs, '52-bom.js'), BOM + 'var bom = "ß";\nbom += 1;\n');
  write(path.join(inputs, '53-empty.js'), '');
  write(path.join(inputs, '54-no-newline.js'), 'var last = "😀"; last');
  // CSS with its map inline, in the CSS comment form.
  await esbuild.build({
    entryPoints: [path.join(src, 'style.css')], sourcemap: 'inline', minify: true,
    outfile: path.join(dir, 'css', '60-style.css'), logLevel: 'error',
  });
  write(path.join(dir, 'css', '61-plain.css'), 'p { color: blue; }\n');
  return { inputs, css: path.join(dir, 'css') };
}

// ---- the expected layout ----------------------------------------------

function unescape(text) {
  return text.replace(/\\(.)/g, (_, c) => ({ n: '\n', t: '\t', r: '\r', 0: '\0', '\\': '\\' })[c] ?? c);
}

/// The text smerge reads of an input: standard input's is `stdin`'s, a
/// `.gz` file's is decompressed.
function readInput(file, stdin) {
  if (file === '-') return fs.readFileSync(stdin, 'utf8');
  if (file.endsWith('.gz')) return zlib.gunzipSync(fs.readFileSync(file)).toString('utf8');
  return fs.readFileSync(file, 'utf8');
}

/// The bundle smerge should write, and where each input is in it.
function layout(files, dir, opts, stdin) {
  let out = '';
  const regions = [];
  const generated = [];
  const gen = (piece) => {
    generated.push({ start: out.length, text: piece });
    out += piece;
  };
  if (opts.banner) gen(unescape(opts.banner));
  files.forEach((file, index) => {
    let text = readInput(file, stdin);
    if (index > 0 && opts.separator) gen(unescape(opts.separator));
    if (opts.header) {
      gen(unescape(opts.header).replace('{path}', file).replace('{index}', String(index + 1)));
    }
    const comment = text.match(MAP_COMMENT);
    let url = null;
    if (comment) {
      url = comment[1] ?? comment[2];
      text = text.slice(0, comment.index + (comment[0].startsWith('\n') ? 1 : 0));
    }
    const strip = opts.bom === 'strip' || (opts.bom === 'strip-inner' && index > 0);
    if (strip && text.startsWith(BOM)) text = text.slice(1);
    if (opts.eol === 'lf') text = text.replace(/\r\n/g, '\n');
    if (opts.eol === 'crlf') text = text.replace(/\r?\n/g, '\r\n');
    regions.push({ file, url, start: out.length, text });
    out += text;
    if (opts.ensureNewline && text.length > 0 && !text.endsWith('\n')) gen('\n');
  });
  if (opts.footer) gen(unescape(opts.footer));
  return { out, regions, generated };
}

function flags(opts) {
  const args = [];
  for (const name of ['banner', 'footer', 'separator', 'header', 'bom', 'eol']) {
    if (opts[name] !== undefined) args.push(`--${name}`, opts[name]);
  }
  if (opts.ensureNewline) args.push('--ensure-newline');
  return args;
}

/// The (0-based) line and UTF-16 column of `offset` in `text`.
function position(text, offset) {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) };
}

// ---- checking one merge -----------------------------------------------

async function inputMap(file, url) {
  let json;
  let base;
  if (url.startsWith('data:')) {
    json = Buffer.from(url.slice(url.indexOf(',') + 1), 'base64').toString('utf8');
    base = path.dirname(file);
  } else {
    const mapFile = path.resolve(path.dirname(file), url);
    json = fs.readFileSync(mapFile, 'utf8');
    base = path.dirname(mapFile);
  }
  const raw = JSON.parse(json);
  if (!raw.sections) {
    const consumer = await new SourceMapConsumer(raw);
    return { consumer, base, root: raw.sourceRoot ?? '' };
  }
  // Mozilla's consumer of index maps loses the mapping at column 0 of a
  // section; look positions up in the section's own map instead.
  const sections = [];
  for (const section of raw.sections) {
    sections.push({ offset: section.offset, consumer: await new SourceMapConsumer(section.map), root: section.map.sourceRoot ?? '' });
  }
  const consumer = {
    originalPositionFor({ line, column }) {
      const at = { line: line - 1, column };
      const section = sections.filter((s) => s.offset.line < at.line || (s.offset.line === at.line && s.offset.column <= at.column)).pop();
      const local = {
        line: at.line - section.offset.line + 1,
        column: at.line === section.offset.line ? at.column - section.offset.column : at.column,
      };
      const found = section.consumer.originalPositionFor(local);
      if (found.source !== null && section.root) found.source = path.join(section.root, found.source);
      return found;
    },
  };
  return { consumer, base, root: '' };
}

let checked = 0;

async function check(name, files, dir, opts, mapOpts = {}) {
  const output = path.join(work, 'out', name, opts.outName ?? 'bundle.js');
  fs.rmSync(path.dirname(output), { recursive: true, force: true });
  fs.mkdirSync(path.dirname(output), { recursive: true });
  const mapArg = mapOpts.target === undefined ? '--source-map' : `--source-map=${mapOpts.target}`;
  const json = mapOpts.path === undefined ? [] : ['--json'];
  const args = [mapArg, ...flags(opts), ...(mapOpts.extra ?? []), ...json, ...files, output];
  const input = mapOpts.stdin === undefined ? undefined : fs.readFileSync(mapOpts.stdin);
  const run = spawnSync(smerge, args, { encoding: 'utf8', input, cwd: dir });
  if (run.status !== 0) throw new Error(`${name}: smerge ${args.join(' ')} failed: ${run.stderr}`);
  if (mapOpts.path !== undefined) {
    assert.equal(JSON.parse(run.stdout).path, mapOpts.path, `${name}: the merge's path`);
  }
  const expected = layout(files, dir, opts, mapOpts.stdin);
  let bundle = fs.readFileSync(output, 'utf8');
  // The comment naming the map ends the bundle; the rest is the layout.
  const tail = bundle.match(MAP_COMMENT);
  assert.ok(tail, `${name}: no sourceMappingURL comment at the end`);
  const url = tail[1] ?? tail[2];
  const body = bundle.slice(0, tail.index + (tail[0].startsWith('\n') ? 1 : 0));
  const separated = expected.out.length > 0 && !expected.out.endsWith('\n') ? expected.out + '\n' : expected.out;
  assert.equal(body, separated, `${name}: the bundle is not the inputs laid out`);
  assert.equal((bundle.match(/sourceMappingURL=/g) ?? []).length, 1, `${name}: an input's comment was left in`);
  if (opts.outName?.endsWith('.css')) assert.ok(tail[2], `${name}: a CSS bundle needs the CSS comment`);

  let mapJson;
  let mapDir;
  if (url.startsWith('data:')) {
    mapJson = Buffer.from(url.slice(url.indexOf(',') + 1), 'base64').toString('utf8');
    mapDir = path.dirname(output);
  } else {
    const mapFile = path.resolve(path.dirname(output), url);
    mapJson = fs.readFileSync(mapFile, 'utf8');
    mapDir = path.dirname(mapFile);
  }
  const raw = JSON.parse(mapJson);
  assert.equal(raw.version, 3);
  // `sources` are relative to the map; a --source-root moves them all, and
  // is checked on its own.
  const map = await new SourceMapConsumer({ ...raw, sourceRoot: undefined });
  const resolve = (source) => (source === null ? null : path.resolve(mapDir, source));
  // A browser drops a BOM that starts the bundle: positions count without it.
  const lead = bundle.startsWith(BOM) ? 1 : 0;
  const text = separated;

  for (const region of expected.regions) {
    // Standard input's relative URLs and sources are taken from the
    // current directory.
    const from = region.file === '-' ? path.join(dir, '-') : region.file;
    const own = region.url && !mapOpts.brokenUrl?.includes(region.url) ? await inputMap(from, region.url) : null;
    let regionText = region.text;
    let start = region.start;
    // The input's own BOM is no column of its own map.
    if (regionText.startsWith(BOM)) {
      regionText = regionText.slice(1);
      start += 1;
    }
    const lines = regionText.split('\n');
    let offset = 0;
    for (let line = 0; line < lines.length; line++) {
      const width = lines[line].replace(/\r$/, '').length;
      const step = Math.max(1, Math.floor(width / 40));
      for (let column = 0; column < width; column += step) {
        const at = position(text, start + offset + column);
        if (lead && at.line === 0) at.column -= lead;
        const got = map.originalPositionFor({ line: at.line + 1, column: at.column });
        let want;
        if (own) {
          want = own.consumer.originalPositionFor({ line: line + 1, column });
          if (want.source !== null) want.source = path.resolve(own.base, own.root, want.source);
        } else {
          want = { source: region.file === '-' ? resolve('-') : region.file, line: line + 1, column: 0, name: null };
        }
        const gotPos = { source: resolve(got.source), line: got.line, column: got.column, name: got.name };
        const wantPos = { source: want.source, line: want.line, column: want.column, name: want.name };
        assert.deepEqual(gotPos, wantPos,
          `${name}: ${path.basename(region.file)} line ${line} column ${column} (bundle ${at.line}:${at.column})`);
        checked++;
      }
      offset += lines[line].length + 1;
    }
  }
  // Text smerge generated maps to nothing.
  for (const piece of expected.generated) {
    for (let i = 0; i < piece.text.length; i++) {
      if (piece.text[i] === '\n' || piece.text[i] === '\r') continue;
      const at = position(text, piece.start + i);
      if (lead && at.line === 0) at.column -= lead;
      const got = map.originalPositionFor({ line: at.line + 1, column: at.column });
      assert.equal(got.source, null,
        `${name}: generated ${JSON.stringify(piece.text)} at ${at.line}:${at.column} maps to ${got.source}`);
      checked++;
    }
  }
  // A streamed input's embedded text is the text smerge read of it.
  if (mapOpts.contents) {
    for (const region of expected.regions.filter((r) => !r.url)) {
      const source = region.file === '-' ? '-' : path.relative(path.dirname(output), region.file);
      const i = raw.sources.indexOf(source);
      assert.ok(i >= 0, `${name}: ${source} is not among the sources ${raw.sources}`);
      assert.equal(raw.sourcesContent[i], region.text.replace(BOM, ''), `${name}: sourcesContent of ${source}`);
    }
  }
  // Sources relative to the map; their contents when embedded.
  if (mapOpts.extra?.includes('--sources-content') && !mapOpts.contents) {
    assert.equal(raw.sourcesContent.length, raw.sources.length);
    raw.sources.forEach((source, i) => {
      const content = raw.sourcesContent[i];
      assert.equal(typeof content, 'string', `${name}: no content for ${source}`);
      const file = resolve(source);
      if (fs.existsSync(file)) {
        const disk = fs.readFileSync(file, 'utf8');
        const region = expected.regions.find((r) => r.file === file);
        const want = region && !region.url ? disk.slice(0, region.url ? undefined : disk.length).replace(MAP_COMMENT, '\n') : disk;
        assert.ok(disk === content || want === content || disk.replace(BOM, '') === content,
          `${name}: sourcesContent of ${source} differs from the file`);
      }
    });
  }
  map.destroy();
  return { raw, stderr: run.stderr };
}

async function main() {
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const { inputs, css } = await makeInputs(work);
  const files = fs.readdirSync(inputs).filter((f) => f.endsWith('.js')).sort().map((f) => path.join(inputs, f));
  const variants = {
    plain: {},
    plain_kernel: {},
    content: { banner: '/* banner é */\\n', footer: '\\n/* footer */\\n', separator: ';\\n' },
    header_same_line: { header: '/* {path} 😀 */ ' },
    header_newline: { header: '// {index}: {path}\\n', ensureNewline: true },
    bom_strip: { bom: 'strip', header: '/*h*/' },
    bom_strip_inner: { bom: 'strip-inner', separator: '\\n' },
    eol_lf: { eol: 'lf', header: '/* {path} */' },
    eol_crlf: { eol: 'crlf', separator: '/* s */' },
    everything: { banner: '/*! b */', header: '/* {path} */ ', separator: '\\n;', footer: '/* f */', ensureNewline: true, bom: 'strip' },
  };
  for (const [name, opts] of Object.entries(variants)) {
    // With no other content option, the kernel copies the bundle's bytes.
    await check(name, files, inputs, opts, name === 'plain_kernel' ? { path: 'kernel' } : {});
  }
  // Inputs whose comment is found as they stream by: standard input (with
  // an inline map, and a map file named relative to the current
  // directory) and decompressed inputs (a map file beside the `.gz`).
  const gz = (name) => {
    const file = path.join(inputs, `${name}.gz`);
    fs.writeFileSync(file, zlib.gzipSync(fs.readFileSync(pick(name))));
    return file;
  };
  const pick = (name) => files.find((f) => f.endsWith(name));
  const streamed = [gz('10-bundle.js'), '-', gz('51-crlf.js'), gz('30-terser.js')];
  await check('streamed', streamed, inputs, { separator: '\n' },
    { extra: ['--decompress'], stdin: pick('20-inline.min.js') });
  await check('streamed_file_url', ['-', pick('50-plain.js')], inputs, { header: '/*h*/' },
    { stdin: pick('10-bundle.js') });
  await check('streamed_content', [gz('50-plain.js'), '-'], inputs, {},
    { extra: ['--decompress', '--sources-content'], stdin: pick('52-bom.js'), path: 'stream', contents: true });
  for (const file of streamed.filter((f) => f.endsWith('.gz'))) fs.rmSync(file);
  // The BOM file first: a BOM at the start of the bundle is no column.
  const bomFirst = [files.find((f) => f.endsWith('52-bom.js')), ...files];
  await check('bom_first', bomFirst, inputs, { header: '/*x*/' });
  // Inputs with maps that start on a line another input left open.
  await check('same_line', [pick('54-no-newline.js'), pick('20-inline.min.js'), pick('54-no-newline.js'),
    pick('30-terser.js'), pick('54-no-newline.js'), pick('10-bundle.js')], inputs, { header: '/*h*/' });
  await check('inline', files, inputs, { header: '/* {path} */\\n' }, { target: 'inline' });
  fs.mkdirSync(path.join(work, 'maps', 'deep'), { recursive: true });
  const { raw } = await check('elsewhere', files, inputs, { separator: '\\n' },
    { target: path.join(work, 'maps', 'deep', 'bundle.map'), extra: ['--sources-content'] });
  assert.ok(raw.sources.every((s) => s.startsWith('../')), 'sources are relative to the map');
  const rooted = await check('source_root', files, inputs, {}, { extra: ['--source-root', '/srv/app/'] });
  assert.equal(rooted.raw.sourceRoot, '/srv/app/');
  await check('css', fs.readdirSync(css).sort().map((f) => path.join(css, f)), css,
    { outName: 'all.css', separator: '\\n' }, { extra: ['--sources-content'] });

  // A broken input map: a warning naming the file, and the input mapped
  // to itself; an error with --strict.
  const broken = path.join(work, 'broken');
  write(path.join(broken, 'a.js'), 'var a = 1;\n//# sourceMappingURL=a.js.map\n');
  write(path.join(broken, 'a.js.map'), '{"version":3,"mappings":"!!!"');
  write(path.join(broken, 'b.js'), 'var b = 2;\n');
  const brokenFiles = [path.join(broken, 'a.js'), path.join(broken, 'b.js')];
  const { stderr } = await check('broken', brokenFiles, broken, {}, { brokenUrl: ['a.js.map'] });
  assert.match(stderr, /warning: .*the source map of .*a\.js/, 'a warning names the input');
  const strict = spawnSync(smerge, ['--source-map', '--strict', ...brokenFiles, path.join(work, 'strict.js')], { encoding: 'utf8' });
  assert.equal(strict.status, 1, 'a broken map with --strict fails');
  assert.match(strict.stderr, /a\.js/);
  assert.ok(!fs.existsSync(path.join(work, 'strict.js')) && !fs.existsSync(path.join(work, 'strict.js.map')),
    'a failed merge writes neither bundle nor map');

  console.log(`source maps: ${checked} positions checked`);
}

main().catch((error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
