"""Data and helpers for benches/dataformats.sh.

gen-data.py csv DIR FILES BYTES SHUFFLE   CSV files with one header; SHUFFLE=1
                                          gives each file its own column order
gen-data.py logs DIR FILES BYTES 0        logs in time order, times interleaved
gen-data.py many DIR FILES BYTES 0        FILES text files of about BYTES each,
                                          1,000 per directory
gen-data.py find PATH DIR                 reads the merge of DIR's files from
                                          stdin, writes PATH's bytes (what a
                                          user of a plain .zst must do)
gen-data.py run CMD                       runs CMD with bash; prints wall
                                          seconds and peak RSS in KiB

The same arguments always give the same bytes.
"""

import os
import random
import resource
import subprocess
import sys
import time

WORDS = ["alpha", "beta", "gamma", "delta", "error", "ok", "user", "request",
         "id", "timeout", "cache", "node", "queue", "value", "from", "to"]


def csv_files(root, files, size, shuffle):
    columns = ["id", "time", "user", "city", "amount", "note"]
    rng = random.Random(7)
    for i in range(files):
        order = columns[:]
        if shuffle:
            random.Random(i).shuffle(order)
        lines = [",".join(order)]
        length = len(lines[0]) + 1
        row = 0
        while length < size:
            values = {
                "id": f"{i}-{row}",
                "time": f"2024-03-01T12:{row % 60:02}:{(row * 7) % 60:02}Z",
                "user": rng.choice(WORDS) + str(row % 1000),
                "city": '"' + rng.choice(WORDS).title() + ', ' + rng.choice(WORDS) + '"',
                "amount": f"{rng.random() * 1000:.2f}",
                "note": '"said ""' + rng.choice(WORDS) + '"" twice"',
            }
            line = ",".join(values[c] for c in order)
            lines.append(line)
            length += len(line) + 1
            row += 1
        path = os.path.join(root, f"f{i:05}.csv")
        with open(path, "w", newline="") as f:
            f.write("\n".join(lines) + "\n")


def logs(root, files, size):
    for i in range(files):
        rng = random.Random(i)
        t = 1_709_294_400_000
        out = []
        length = 0
        while length < size:
            t += rng.randrange(0, 40)
            s, ms = divmod(t, 1000)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + f".{ms:03}Z"
            line = f"{stamp} host{i:02} {rng.choice(WORDS)} {' '.join(rng.choice(WORDS) for _ in range(8))}\n"
            out.append(line)
            length += len(line)
        with open(os.path.join(root, f"host{i:02}.log"), "w") as f:
            f.writelines(out)


def many(root, files, size):
    rng = random.Random(3)
    for i in range(files):
        d = os.path.join(root, f"d{i // 1000:03}")
        if i % 1000 == 0:
            os.makedirs(d, exist_ok=True)
        n = size + rng.randrange(-size // 2, size // 2)
        words = []
        length = 0
        while length < n:
            w = rng.choice(WORDS) if rng.random() < 0.8 else str(rng.randrange(100000))
            words.append(w)
            length += len(w) + 1
        with open(os.path.join(d, f"f{i:06}.txt"), "w") as f:
            f.write(" ".join(words) + "\n")


def find(path, root):
    names = sorted(
        os.path.relpath(os.path.join(d, f), root)
        for d, _, fs in os.walk(root) for f in fs
    )
    offset = 0
    for name in names:
        if name == path:
            break
        offset += os.path.getsize(os.path.join(root, name))
    length = os.path.getsize(os.path.join(root, path))
    stdin = sys.stdin.buffer
    while offset > 0:
        offset -= len(stdin.read(min(offset, 1 << 20)))
    sys.stdout.buffer.write(stdin.read(length))
    # Like a user's pipeline, stop reading once found.


def run(command):
    start = time.perf_counter()
    subprocess.run(["bash", "-c", command], check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"{elapsed:.4f} {rss}")


def main():
    mode = sys.argv[1]
    if mode == "find":
        find(sys.argv[2], sys.argv[3])
        return
    if mode == "run":
        run(sys.argv[2])
        return
    root, files, size, flag = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    os.makedirs(root, exist_ok=True)
    if mode == "csv":
        csv_files(root, files, size, flag == "1")
    elif mode == "logs":
        logs(root, files, size)
    elif mode == "many":
        many(root, files, size)


if __name__ == "__main__":
    main()
