// Merges every regular file under DIR into OUT the way Node.js tutorials do it:
// list the files (recursively, sorted byte-wise by relative path), pipe each one
// into a single write stream with {end: false}, start the next file on the
// previous one's 'end', and end the write stream after the last file.
//
// Usage: node benches/node-merge.js DIR OUT
'use strict';

const fs = require('fs');
const path = require('path');

function fail(error) {
  console.error(`node-merge: ${error.message}`);
  process.exit(1);
}

// Relative paths of the regular files under `root` (symlinks are not followed,
// as with `find -type f`), in byte order.
function listFiles(root) {
  const files = [];
  const walk = (rel) => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) files.push(Buffer.from(child));
    }
  };
  walk('');
  return files.sort(Buffer.compare).map((name) => path.join(root, name.toString()));
}

function merge(files, out) {
  const ws = fs.createWriteStream(out);
  ws.on('error', fail);
  let next = 0;
  const pipeNext = () => {
    if (next === files.length) {
      ws.end();
      return;
    }
    const rs = fs.createReadStream(files[next++]);
    rs.on('error', fail);
    rs.on('end', pipeNext);
    rs.pipe(ws, { end: false });
  };
  pipeNext();
}

const [dir, out] = process.argv.slice(2);
if (dir === undefined || out === undefined) {
  console.error('usage: node node-merge.js DIR OUT');
  process.exit(2);
}
try {
  merge(listFiles(dir), out);
} catch (error) {
  fail(error);
}
