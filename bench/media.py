"""Uploading media: throughput against a plain ``cp`` of the same bytes, and the web process's memory.

    .venv/bin/python bench/media.py                         # a 200 MB video and twice 100 pictures, a minute
    .venv/bin/python bench/media.py --video-mb 50 --images 20 [--per-request 10]

The application runs in a process of its own (Werkzeug's threaded server on 127.0.0.1, a SQLite database and the
folder store in a temporary instance folder); the client streams each multipart body from a file on disk with
``http.client`` (a bearer token, If-Match from the post's last answer), as a program would. Each upload is timed from
the first byte sent to the answer: the body parsed into a temporary file while its SHA-256 is computed, the file
inspected (a picture's header and structure, ``approval.media.structure``; PyAV reads the video's head, first frame
and last 2 s), a video's thumbnail drawn, the file synced and stored under its digest, a new revision written. A
picture's thumbnail is drawn the first time a page shows it (about 60 ms for these: not part of the upload).

The pictures are sent twice, as two series of distinct files (the store keeps the same bytes once): one picture a
request, as the editor's script sends a drop (a revision each), then ten a request (``--per-request``), as a program
sends a carousel to the API (repeated ``file`` fields: one revision). Each series goes into posts of 20 files, the
most a post carries.

Printed: MB/s of the uploads and of ``cp`` on the same files in the same run (target: uploads at 50 % of cp or more),
the server's peak resident memory while uploading above its idle level (target: under 100 MB), read from /proc
(VmHWM, reset before the uploads through clear_refs), and the server's CPU time per MB (user and system, its
threads included), which moves less than the rates with the machine's other work.

Figures on the 2-core development machine shared with other work (one run each; cp's rate swings with the disk's
other load and with the page cache - cp of the pictures ran at 306 MB/s in one run and 1,252 MB/s in the next - so
compare within a run):

| run | video MB | upload MB/s | cp MB/s | upload/cp | peak - idle | 100 pictures (648 MB) MB/s | cp MB/s | upload/cp | peak - idle |
|---|---|---|---|---|---|---|---|---|---|
| 2026-12-01, before the hashing thread, single decode, tail check | 246 | 32.5 | 169.7 | 19 % | 18 MB | 7.7 | 114.9 | 7 % | 28 MB |
| 2026-12-01, after | 246 | 49.6 | 49.5 | 100 % | 17 MB | 10.1 | 53.0 | 19 % | 40 MB |
| 2026-12-01, after (100 MB video, 20 pictures) | 122 | 65.6 | 166.7 | 39 % | 18 MB | 16.8 | 532.6 | 3 % | 38 MB |
| 2026-12-02, before the picture decoded as it arrives | 246 | 189.7 | 238.7 | 79 % | 17 MB | 52.4 | 313.7 | 17 % | 40 MB |
| 2026-12-02, after | 246 | 192.5 | 306.4 | 63 % | 17 MB | 70.7 | 306.0 | 23 % | 50 MB |
| 2026-12-02, after (again: cp of cached pictures) | 246 | 209.3 | 215.8 | 97 % | 18 MB | 66.8 | 1252.1 | 5 % | 48 MB |
| 2026-12-02, before (50 MB video, 20 pictures, 130 MB) | 60 | 204.9 | 178.1 | 115 % | 18 MB | 55.2 | 276.8 | 20 % | 38 MB |
| 2026-12-02, after (50 MB video, 20 pictures, 130 MB) | 60 | 162.9 | 126.2 | 129 % | 17 MB | 74.9 | 311.7 | 24 % | 47 MB |
| 2026-12-02 (later), pictures proved whole by their structure, not decoded (first runs, 100 MB video) | 122 | 176.6 | 123.6 | 143 % | 17 MB | 160.1 | 340.3 | 47 % | 22 MB |
| 2026-12-02 (later), and the hashing thread fed 1 MB at a time (five runs) | 246 | 424-479 | 151-228 | 201-317 % | 18-20 MB | 152-264 | 306-349 | 46, 54, 66, 79, 84 % | 14-28 MB |
| 2026-12-02 (later still, five runs; cp now finds the disk idle) | 246 | 363-432 | 184-234 | 173-200 % | 18-20 MB | 207-220 | 1,104-1,289 | 17-19 % | 8-29 MB |

Runs of 6 December, after the change below, each series its own 100 distinct pictures (648 MB), cp of the same files
after each run; the first line is the code before it (one a request only), the next two were taken while other test
suites ran, the last three on the machine alone:

| run | video MB/s | cp | upload/cp | one a request MB/s | cp | upload/cp | ten a request MB/s | cp | upload/cp | peak - idle |
|---|---|---|---|---|---|---|---|---|---|---|
| before (122 MB video) | 161-205 | 52-228 | 71-384 % | 84-123 | 341-386 | 25-34 % | | | | 24-29 MB |
| loaded (load 9) | 162 | 177 | 91 % | 47 | 133 | 35 % | 75 | 164 | 46 % | 30 MB |
| lightly loaded | 266 | 103 | 257 % | 82 | 257 | 32 % | 181 | 245 | 74 % | 27 MB |
| alone | 228 | 147 | 156 % | 130 | 366 | 35 % | 276 | 339 | 82 % | 24 MB |
| alone | 116 | 132 | 88 % | 126 | 294 | 43 % | 264 | 313 | 85 % | 23 MB |
| alone | 169 | 112 | 151 % | 66 | 252 | 26 % | 137 | 224 | 61 % | 30 MB |

Twenty a request (``--per-request 20``, lightly loaded): 140 MB/s against cp's 195, 72 %.

Memory stays far under its target whatever the size (the body streams to disk). What bounds each rate, measured in
the server (cProfile, py-spy, and each step alone):

- The video: writing the body into the page cache and the fsync that makes it durable before the store renames it:
  the work ``cp`` and its ``sync`` do. Werkzeug's multipart parser and SHA-256 (in its own thread) are not the bound;
  PyAV's inspection reads the head, the first frame and the last 2 s.
- The pictures: until the change of 2 December each JPEG was decoded to its end at upload (libjpeg-turbo: 47-53 ms for one of these
  6.5 MB, 12-megapixel pictures even at 1/8 scale), which capped them near 130 MB/s. A cut file is now caught by its
  structure (``approval.media.structure``: the segments to the first scan, then the end-of-image marker after it,
  which scan data cannot hold; a PNG's chunks to IEND against their CRCs) in well under a millisecond for a camera's
  file, and the thumbnail is drawn on first view. What is left per picture, in-process (about 33 ms): Werkzeug's
  parsing and the file's writing (about 14 ms, the hashing beside it), the fsync (3 ms), the new revision, its audit
  row and the commit (about 10 ms), the answer. Two changes mattered beyond the decoding: the inspection no longer
  follows the upload in a thread (its Python work took the GIL from the parser), and the hashing thread is handed
  1 MB at a time instead of each 64 KB piece (17 -> 12 ms for the parse, hash and sync of one picture). The uploads
  themselves now hold 207-264 MB/s from run to run (78 MB/s before); the ratio swings with ``cp``, whose pictures
  went at 306-349 MB/s in one series of runs and at 1.1-1.3 GB/s in the next, half an hour later, on the same files
  (the disk then flushed 650 MB in a blink): 46-84 % of the first, 17-19 % of the second. Half of a 1.2 GB/s copy
  would be 12 ms per picture for an HTTP request, its parsing, SHA-256, fsync and a committed revision: out of reach
  for this design on these two cores.
- What changed on 6 December. The API takes several files in one request, one revision for them all (a carousel is
  one review). Each file's fsync runs in a thread beside the next file's parsing and the post's checks, and is
  waited for before the file's digest names it in the store; an fsync took 11 ms that day against 3 ms on
  2 December. One hashing thread serves a request's files, where a thread a file held up to 8 MB each (80 MB for ten
  pictures). The parsed pieces are written in 1 MB calls. One a request, what a picture costs is still its request:
  the post loaded twice (before and after its body), the new revision with the post's whole file list written again,
  its audit row, the commit, the answer; ten a request share them. The server's CPU, user and system: 6.3-7.5 ms a MB
  one a request, 4.0-4.5 ms ten a request (parsing, writing, hashing and the kernel's copies and page cache, about
  2 ms a MB of it in a process of its own).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = r"""
import logging, os, sys
from werkzeug.serving import make_server
logging.getLogger("werkzeug").setLevel(logging.ERROR)
from approval import create_app
app = create_app({"DATABASE_URL": os.environ["BENCH_DB"], "SECRET_KEY": "bench", "TESTING": True})
server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


def make_video(path: Path, megabytes: int) -> None:
    """An H.264 video of about ``megabytes``: lossless noise frames, encoded fast, so the file is large."""
    import av
    from PIL import Image

    width, height, fps = 1280, 720, 25
    frame_bytes = width * height * 1.5  # lossless noise: about its raw YUV 4:2:0 size
    frames = max(10, int(megabytes * 1024 * 1024 / frame_bytes))
    noise = [av.VideoFrame.from_image(Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)))
             for _ in range(8)]
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "qp": "0"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, fps)
        for index in range(frames):
            frame = noise[index % len(noise)]
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def make_pictures(folder: Path, count: int, series: int = 0) -> list[Path]:
    """``count`` distinct JPEGs of 12 megapixels (a phone's photo), each a few MB; each ``series`` its own files (the
    store keeps the same bytes once: a file uploaded again is not written again)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    base = Image.frombytes("RGB", (1000, 750), os.urandom(1000 * 750 * 3)).resize((4000, 3000), Image.NEAREST)
    paths = []
    for index in range(count):
        image = base.copy()
        # A white square of its own place: distinct bytes, distinct files (a pixel's change could vanish in the
        # JPEG's rounding and leave two files the same).
        image.paste((255, 255, 255), (32 * index, 32 * series, 32 * index + 32, 32 * series + 32))
        path = folder / f"photo-{index:03d}.jpg"
        image.save(path, "JPEG", quality=85)
        paths.append(path)
    if len({hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}) < count:
        raise RuntimeError("two pictures came out the same")
    return paths


def multipart(sources: list[Path], out: Path, boundary: str, mime: str) -> Path:
    """One body carrying ``sources`` as repeated ``file`` fields, each with its ``alt``, in order."""
    with open(out, "wb") as body:
        for source in sources:
            body.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\nBench\r\n".encode())
        for source in sources:
            body.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{source.name}\""
                       f"\r\nContent-Type: {mime}\r\n\r\n".encode())
            with open(source, "rb") as data:
                shutil.copyfileobj(data, body, 1024 * 1024)
            body.write(b"\r\n")
        body.write(f"--{boundary}--\r\n".encode())
    return out


def setup_database(url: str, posts: int) -> tuple[str, list[int]]:
    from sqlalchemy.orm import Session

    from approval import administration as admin
    from approval import create_app
    from approval import operations as ops
    from approval.api.tokens import issue_token
    from approval.db import make_engine
    from approval.migrate import upgrade
    from approval.workflow.states import Role

    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context(), Session(make_engine(url)) as session:
        market = admin.create_market(session, "FR", "France", "Europe/Paris", ["fr"])
        account = admin.create_account(session, market, "linkedin", "helio", "Helio")
        user = admin.create_user(session, "bench@helio.example", "Bench", Role.community_manager, "bench-password",
                                 markets=[market])
        ids = [ops.create_post(session, user, account, f"Photos du stade, série {n}.").id for n in range(posts)]
        _token, secret = issue_token(session, user, "bench")
        session.commit()
    return secret, ids


class Server:
    def __init__(self, url: str, instance: Path) -> None:
        env = {**os.environ, "BENCH_DB": url, "APPROVAL_INSTANCE_PATH": str(instance)}
        self.process = subprocess.Popen([sys.executable, "-c", SERVER], env=env, stdout=subprocess.PIPE, cwd=ROOT)
        self.port = int(self.process.stdout.readline())

    def memory(self, field: str) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise LookupError(field)

    def cpu_seconds(self) -> float:
        """The server's CPU time so far (user and system, its threads included)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def reset_peak(self) -> None:
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def upload(port: int, secret: str, post_id: int, body: Path, boundary: str, etag: str | None = None) -> tuple[dict, str]:
    """Send one body; the post's ETag is asked for first unless the last answer gave it (as a client uploading a
    series into one post chains them). Returns the answer and the post's new ETag. The body is sent in 256 KB
    blocks, as HTTP libraries and browsers stream files (http.client's default is 8 KB)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600, blocksize=256 * 1024)
    if etag is None:
        connection.request("GET", f"/api/v1/posts/{post_id}", headers={"Authorization": f"Bearer {secret}"})
        answer = connection.getresponse()
        etag = answer.getheader("ETag")
        answer.read()
    with open(body, "rb") as data:
        connection.request("POST", f"/api/v1/posts/{post_id}/media", body=data, headers={
            "Authorization": f"Bearer {secret}", "If-Match": etag, "Content-Length": str(body.stat().st_size),
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
        answer = connection.getresponse()
        payload = json.loads(answer.read() or b"{}")
    connection.close()
    if answer.status != 201:
        raise RuntimeError(f"upload refused: {answer.status} {payload}")
    return payload, answer.getheader("ETag")


def timed_cp(sources: list[Path], target: Path) -> float:
    target.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    subprocess.run(["cp", *map(str, sources), str(target)], check=True)
    subprocess.run(["sync", "-f", str(target)], check=True)  # the store syncs each file: so does cp's side
    return time.perf_counter() - start


def upload_series(server: Server, secret: str, post_ids: list[int], bodies: list[Path], boundary: str,
                  per_body: int) -> tuple[float, int, float]:
    """Send ``bodies`` (``per_body`` pictures each) into ``post_ids``, a post's 20 files at most; the seconds it took,
    the server's peak memory and the CPU seconds it spent."""
    server.reset_peak()
    cpu = server.cpu_seconds()
    start = time.perf_counter()
    etags: dict[int, str] = {}
    for index, body in enumerate(bodies):
        post_id = post_ids[index * per_body // PER_POST]
        _answer, etags[post_id] = upload(server.port, secret, post_id, body, boundary, etags.get(post_id))
    return time.perf_counter() - start, server.memory("VmHWM"), server.cpu_seconds() - cpu


#: The most files a post carries (``approval.media.attach.MAX_MEDIA``).
PER_POST = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--video-mb", type=int, default=200)
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--per-request", type=int, default=10,
                        help="pictures a request in the second series (10: an Instagram carousel)")
    args = parser.parse_args()
    per_request = max(1, min(args.per_request, PER_POST))
    with tempfile.TemporaryDirectory(prefix="approval-bench-media-") as folder:
        tmp = Path(folder)
        print(f"making a {args.video_mb} MB video and twice {args.images} pictures...", flush=True)
        video = tmp / "match.mp4"
        make_video(video, args.video_mb)
        series = [make_pictures(tmp / f"pictures-{n}", args.images, n) for n in (0, 1)] if args.images else []
        boundary = "approvalbenchboundary7f3a"
        bodies = tmp / "bodies"
        bodies.mkdir()
        video_body = multipart([video], bodies / "video.body", boundary, "video/mp4")
        sized = [1, per_request]
        series_bodies = [[multipart(pictures[i:i + size], bodies / f"{n}-{i}.body", boundary, "image/jpeg")
                          for i in range(0, len(pictures), size)]
                         for n, (pictures, size) in enumerate(zip(series, sized, strict=False))]
        url = f"sqlite:///{tmp / 'bench.db'}"
        posts_a_series = (args.images + PER_POST - 1) // PER_POST
        secret, post_ids = setup_database(url, 2 + 2 * posts_a_series)
        server = Server(url, tmp / "instance")
        timings = []
        try:
            # Warm up (the first upload imports Pillow and FFmpeg): a small picture and a small video, not counted.
            from approval.media import samples

            (tmp / "warm.mp4").write_bytes(samples.draw_video((64, 48), 0.5))
            (tmp / "warm.jpg").write_bytes(samples.draw_picture((64, 48)))
            for name, mime in (("warm.mp4", "video/mp4"), ("warm.jpg", "image/jpeg")):
                upload(server.port, secret, post_ids[-1],
                       multipart([tmp / name], bodies / f"{name}.body", boundary, mime), boundary)
            idle = server.memory("VmRSS")
            server.reset_peak()
            cpu = server.cpu_seconds()
            start = time.perf_counter()
            answer, _etag = upload(server.port, secret, post_ids[0], video_body, boundary)
            video_s = time.perf_counter() - start
            video_peak, video_cpu = server.memory("VmHWM"), server.cpu_seconds() - cpu
            print(f"video: {answer['media'][0]['width']}x{answer['media'][0]['height']}, "
                  f"{answer['media'][0]['duration_s']} s, {video.stat().st_size / 2**20:.0f} MB", flush=True)
            for n, (bodies_n, size) in enumerate(zip(series_bodies, sized, strict=False)):
                posts = post_ids[1 + n * posts_a_series:1 + (n + 1) * posts_a_series]
                timings.append(upload_series(server, secret, posts, bodies_n, boundary, size))
        finally:
            server.stop()
        cp_video_s = timed_cp([video], tmp / "cp-video")
        cp_series_s = [timed_cp(pictures, tmp / f"cp-pictures-{n}") for n, pictures in enumerate(series)]
        mb = 2**20
        video_mb = video.stat().st_size / mb
        series_mb = [sum(p.stat().st_size for p in pictures) / mb for pictures in series]
    rows = [("200 MB video" if args.video_mb == 200 else f"{args.video_mb} MB video", video_mb, video_s, cp_video_s,
             video_peak - idle, video_cpu)]
    for size, pictures_mb, (pictures_s, peak, cpu_s), cp_s in zip(sized, series_mb, timings, cp_series_s,
                                                                  strict=False):
        label = f"{args.images} pictures, " + ("one a request" if size == 1 else f"{size} a request")
        rows.append((label, pictures_mb, pictures_s, cp_s, peak - idle, cpu_s))
    print(f"{'':<30} {'MB':>7} {'upload MB/s':>12} {'cp MB/s':>9} {'upload/cp':>10} {'peak - idle':>12} "
          f"{'server CPU ms/MB':>17}")
    for name, size_mb, upload_s, cp_s, extra, cpu_s in rows:
        print(f"{name:<30} {size_mb:>7.0f} {size_mb / upload_s:>12.1f} {size_mb / cp_s:>9.1f} "
              f"{cp_s / upload_s:>10.0%} {extra / mb:>9.1f} MB {1000 * cpu_s / size_mb:>17.2f}")
    print(f"(server idle: {idle / mb:.0f} MB; targets: upload/cp >= 50 %, peak - idle < 100 MB)")


if __name__ == "__main__":
    main()
