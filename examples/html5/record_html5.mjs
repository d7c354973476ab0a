// Record HTMLMediaElement events from a real, headless Chromium as a raw html5 log
// (`vtrack replay --dialect html5`).
//
//   apt-get install -y chromium ffmpeg
//   cd examples/html5 && npm install
//   node record_html5.mjs VIDEO OUT [--rate 4] [--loop] [--session html5-1]
//
// VIDEO is a WebM or MP4 file, or an HLS playlist (.m3u8, played natively by Chromium) next to
// its segments.
//
// The video is served from 127.0.0.1 (with HTTP range requests, as seeking needs). The page
// listens to every media event and keeps, for each, the fields a web player integration sees:
// type, currentTime, duration, paused, ended, playbackRate, and the time it happened (epoch
// seconds). The scripted viewing: play, pause for 2 s at 5 s, resume, seek to 20 s at 10 s,
// play to the end (with --loop: play on for 8 s past the loop point, then leave the page).
//
// Options beyond the defaults (without them the recorder behaves exactly as above):
//   --pause-at S, --seek-at S, --seek-to S  move the scripted pause (default 5), the seek's
//       moment (default 10) and its target (default 20), e.g. `--seek-to 45` on a 60 s video.
//   --preset-rate R  the page sets defaultPlaybackRate and playbackRate to R before the
//       listeners are attached and before the source is set, so the log has no `ratechange`
//       and every record carries playbackRate R (the play step then keeps R, unless --rate
//       is given too).
import { createServer } from "node:http";
import { createReadStream, statSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";

const MEDIA_EVENTS = [
  "loadstart", "durationchange", "loadedmetadata", "loadeddata", "canplay", "canplaythrough",
  "play", "playing", "pause", "waiting", "seeking", "seeked", "timeupdate", "ended",
  "ratechange", "volumechange", "stalled", "suspend", "emptied", "error", "abort",
];
const TYPES = {
  ".webm": "video/webm",
  ".mp4": "video/mp4",
  ".m3u8": "application/vnd.apple.mpegurl",
  ".ts": "video/mp2t",
};

function parseArgs(argv) {
  const args = { rate: 1, loop: false, session: "html5-1", positional: [] };
  args.pauseAt = 5;
  args.seekAt = 10;
  args.seekTo = 20;
  args.presetRate = null;
  let rateGiven = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--rate") { args.rate = Number(argv[++i]); rateGiven = true; }
    else if (argv[i] === "--loop") args.loop = true;
    else if (argv[i] === "--session") args.session = argv[++i];
    else if (argv[i] === "--pause-at") args.pauseAt = Number(argv[++i]);
    else if (argv[i] === "--seek-at") args.seekAt = Number(argv[++i]);
    else if (argv[i] === "--seek-to") args.seekTo = Number(argv[++i]);
    else if (argv[i] === "--preset-rate") args.presetRate = Number(argv[++i]);
    else args.positional.push(argv[i]);
  }
  if (args.positional.length !== 2) throw new Error("usage: record_html5.mjs VIDEO OUT [options]");
  if (args.presetRate !== null && !rateGiven) args.rate = args.presetRate;
  return args;
}

// A static server for the video's directory (an HLS playlist and its segments, or one file),
// with byte ranges, bound to 127.0.0.1 only.
function serve(video, presetRate = null) {
  const root = dirname(video);
  // --preset-rate: set before the listeners are on (and kept by the load, as the default rate).
  const preset = presetRate === null ? "" : `
    v.defaultPlaybackRate = ${JSON.stringify(presetRate)};
    v.playbackRate = ${JSON.stringify(presetRate)};`;
  // The listeners are on before the source is set, so the loading events are recorded too.
  const page = `<!doctype html><video id="v" muted preload="auto"></video><script>
    const v = document.getElementById("v");
    v.loop = new URLSearchParams(location.search).has("loop");
    window.records = [];${preset}
    for (const type of ${JSON.stringify(MEDIA_EVENTS)}) {
      v.addEventListener(type, (e) => window.records.push({
        t: (performance.timeOrigin + e.timeStamp) / 1000,
        type,
        currentTime: v.currentTime,
        duration: Number.isFinite(v.duration) ? v.duration : null,
        paused: v.paused,
        ended: v.ended,
        playbackRate: v.playbackRate,
      }));
    }
    v.src = "/media/${basename(video)}";
  </script>`;
  const server = createServer((request, response) => {
    if (!request.url.startsWith("/media/")) {
      response.writeHead(200, { "content-type": "text/html" });
      response.end(page);
      return;
    }
    const file = join(root, normalize(decodeURIComponent(request.url.slice(7).split("?")[0])).replace(/^(\.\.[/\\])+/, ""));
    let size;
    try {
      size = statSync(file).size;
    } catch {
      response.writeHead(404);
      response.end();
      return;
    }
    const type = TYPES[extname(file)] ?? "application/octet-stream";
    const range = /bytes=(\d*)-(\d*)/.exec(request.headers.range ?? "");
    if (!range) {
      response.writeHead(200, { "content-type": type, "content-length": size, "accept-ranges": "bytes" });
      createReadStream(file).pipe(response);
      return;
    }
    const start = range[1] ? Number(range[1]) : 0;
    const end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    response.writeHead(206, {
      "content-type": type,
      "content-length": end - start + 1,
      "content-range": `bytes ${start}-${end}/${size}`,
      "accept-ranges": "bytes",
    });
    createReadStream(file, { start, end }).pipe(response);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const [video, out] = args.positional;
  const server = await serve(video, args.presetRate);
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--autoplay-policy=no-user-gesture-required", "--no-sandbox"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/${args.loop ? "?loop" : ""}`);
    await page.waitForFunction(() => document.getElementById("v").readyState >= 1, null, { timeout: 30000 });
    const at = (seconds) => page.waitForFunction((s) => document.getElementById("v").currentTime >= s, seconds, { timeout: 60000 });
    await page.evaluate((rate) => { const v = document.getElementById("v"); v.playbackRate = rate; return v.play(); }, args.rate);
    await at(args.pauseAt);
    await page.evaluate(() => document.getElementById("v").pause());
    await page.waitForTimeout(2000);
    await page.evaluate(() => document.getElementById("v").play());
    await at(args.seekAt);
    await page.evaluate((s) => { document.getElementById("v").currentTime = s; }, args.seekTo);
    if (args.loop) {
      // Past the loop point: the position jumps back to 0 and no `ended` comes.
      await page.waitForFunction(() => {
        const v = document.getElementById("v");
        return window.records.some((r) => r.currentTime > 25) && v.currentTime > 3 && v.currentTime < 10;
      }, null, { timeout: 60000 });
    } else {
      await page.waitForFunction(() => document.getElementById("v").ended, null, { timeout: 60000 });
    }
    await page.waitForTimeout(300);
    const records = await page.evaluate(() => window.records);
    const lines = [
      { t: records[0].t, session: args.session, anonymous_id: "html5-viewer", content: { asset_id: basename(video, extname(video)), title: basename(video) } },
      ...records.map((r) => ({ ...r, session: args.session })),
    ];
    if (args.loop) lines.push({ t: Date.now() / 1000, session: args.session, type: "pagehide" });
    writeFileSync(out, lines.map((line) => JSON.stringify(line)).join("\n") + "\n");
    console.log(`${lines.length} records written to ${out}`);
  } finally {
    await browser.close();
    server.close();
  }
}

await main();
