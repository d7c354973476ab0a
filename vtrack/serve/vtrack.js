/*! vtrack.js: a <video> element's events, posted to `vtrack serve` as html5 dialect records.
 *
 *   vtrack.attach(video, {endpoint: "https://collect.example.com/v1/events",
 *                         anonymousId: "...", content: {asset_id: "..."}});
 *
 * Each media event becomes a record {t, session, type, currentTime, duration, paused, ended,
 * playbackRate} (the format `vtrack replay --dialect html5` reads); the session's first
 * record names the viewer and the content, and so does each batch's first record (a server
 * that restarted meanwhile still knows whose session it is). Records are sent in batches
 * (every 2 s, or 20 records) with fetch(..., {keepalive: true}), one request at a time and in
 * order, again with backoff while the network or the server fails; when the page is hidden
 * or goes away, the batch under way (again, under its id) and what is queued leave with
 * navigator.sendBeacon. No cookies, no dependencies.
 */
(function (root) {
  "use strict";

  var EVENTS = [
    "loadstart", "durationchange", "loadedmetadata", "loadeddata", "canplay",
    "canplaythrough", "play", "playing", "pause", "waiting", "seeking", "seeked",
    "timeupdate", "ended", "ratechange", "volumechange", "stalled", "emptied", "error",
  ];
  var BATCH_RECORDS = 20;
  var BATCH_MS = 2000;
  var KEEPALIVE_MS = 20000; // a quiet session (paused) says it is still there
  var MAX_QUEUE = 2000;
  var MAX_BACKOFF_MS = 60000;
  // Answers that retrying cannot change: the batch is dropped (and said on the console).
  var FINAL = { 400: 1, 403: 1, 409: 1, 413: 1 };

  function now() {
    return Date.now() / 1000;
  }

  function uuid() {
    var c = root.crypto;
    if (c && typeof c.randomUUID === "function") return c.randomUUID();
    var b = new Uint8Array(16);
    c.getRandomValues(b);
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); });
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" +
      h.slice(6, 8).join("") + "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  function Tracker(video, options) {
    if (!video || typeof video.addEventListener !== "function") {
      throw new TypeError("vtrack.attach: give a <video> (or <audio>) element");
    }
    if (!options || typeof options.endpoint !== "string") {
      throw new TypeError("vtrack.attach: give options.endpoint, the URL of POST /v1/events");
    }
    if (!options.anonymousId === !options.userId) {
      throw new TypeError("vtrack.attach: give options.anonymousId or options.userId (one)");
    }
    this.video = video;
    this.endpoint = options.endpoint;
    this.viewer = options.userId ? { user_id: String(options.userId) }
      : { anonymous_id: String(options.anonymousId) };
    this.content = options.content || null;
    this.queue = [];
    this.inFlight = null; // {records, id}: the batch being sent (and sent again)
    this.timer = null;
    this.retryMs = 0;
    this.batchPrefix = uuid().replace(/-/g, "").slice(0, 12);
    this.batches = 0;
    this.lastQueued = 0;
    this.handlers = [];
    this.start();
    this.listen();
  }

  Tracker.prototype.start = function () {
    this.session = uuid();
    this.media = false; // a media event of this session was seen
    this.left = false;
    this.named = false; // the current batch's first record of the session named the viewer
    this.push({});
  };

  Tracker.prototype.record = function (type) {
    var v = this.video;
    var r = {
      type: type,
      currentTime: v.currentTime,
      duration: isFinite(v.duration) ? v.duration : null,
      paused: v.paused,
      ended: v.ended,
      playbackRate: v.playbackRate,
    };
    if (type === "volumechange") {
      r.volume = v.volume;
      r.muted = v.muted;
    }
    if (type === "error") r.message = v.error && v.error.message ? String(v.error.message) : "";
    return r;
  };

  // One record of the session; the first of a batch (and of a session) names the viewer.
  Tracker.prototype.push = function (fields) {
    var r = { t: now(), session: this.session };
    if (!this.named) {
      for (var k in this.viewer) r[k] = this.viewer[k];
      if (this.content) r.content = this.content;
      this.named = true;
    }
    for (var f in fields) r[f] = fields[f];
    if (this.queue.length >= MAX_QUEUE) this.queue.shift();
    this.queue.push(r);
    this.lastQueued = Date.now();
    this.schedule(this.queue.length >= BATCH_RECORDS ? 0 : BATCH_MS);
  };

  Tracker.prototype.onMedia = function (type) {
    if (this.left) return;
    if ((type === "loadstart" || type === "emptied") && this.media) {
      // Another source: this session is over, the next one starts.
      this.push({ type: "pagehide" });
      this.start();
    }
    if (type !== "loadstart" && type !== "emptied") this.media = true;
    this.push(this.record(type));
  };

  Tracker.prototype.listen = function () {
    var self = this;
    EVENTS.forEach(function (type) {
      self.on(self.video, type, function () { self.onMedia(type); });
    });
    this.on(root, "pagehide", function () { self.leave(); });
    this.on(root, "pageshow", function (e) {
      if (e.persisted && self.left) {
        self.start(); // back from the back-forward cache: a new session
      }
    });
    this.on(root.document, "visibilitychange", function () {
      if (root.document.visibilityState === "hidden") self.beacon();
    });
    this.keepalive = setInterval(function () {
      var quiet = Date.now() - self.lastQueued >= KEEPALIVE_MS;
      if (quiet && !self.left && self.media && !self.video.ended) self.push({});
    }, KEEPALIVE_MS);
  };

  Tracker.prototype.on = function (target, type, handler) {
    if (!target) return;
    target.addEventListener(type, handler);
    this.handlers.push([target, type, handler]);
  };

  // The viewer left: the session ends with a pagehide record, sent by beacon.
  Tracker.prototype.leave = function () {
    if (this.left) return;
    this.push({ type: "pagehide" });
    this.left = true;
    this.beacon();
  };

  Tracker.prototype.schedule = function (ms) {
    var self = this;
    if (this.inFlight) return; // sent when the request under way is done
    if (this.timer !== null) {
      if (ms > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(function () { self.timer = null; self.send(); }, ms);
  };

  Tracker.prototype.take = function () {
    var records = this.queue.splice(0, BATCH_RECORDS);
    this.named = this.queue.length === 0 ? false : this.named;
    if (this.queue.length) this.nameFirst();
    this.batches += 1;
    return { records: records, id: this.batchPrefix + "-" + this.batches };
  };

  // The queue's first record of each session names the viewer (it begins the next batch).
  Tracker.prototype.nameFirst = function () {
    var seen = {};
    for (var i = 0; i < this.queue.length; i++) {
      var r = this.queue[i];
      if (seen[r.session]) continue;
      seen[r.session] = true;
      if (!r.anonymous_id && !r.user_id) {
        for (var k in this.viewer) r[k] = this.viewer[k];
        if (this.content && !r.content) r.content = this.content;
      }
    }
  };

  Tracker.prototype.url = function (batch) {
    var sep = this.endpoint.indexOf("?") < 0 ? "?" : "&";
    return this.endpoint + sep + "sent_at=" + now() + "&batch=" + batch.id;
  };

  function body(records) {
    return records.map(function (r) { return JSON.stringify(r); }).join("\n") + "\n";
  }

  Tracker.prototype.send = function () {
    var self = this;
    if (!this.inFlight) {
      if (!this.queue.length) return;
      this.inFlight = this.take();
    }
    var batch = this.inFlight;
    var done = function (ok) {
      if (self.inFlight !== batch) return; // it left by beacon meanwhile
      if (ok) {
        self.inFlight = null;
        self.retryMs = 0;
        if (self.queue.length) self.schedule(self.queue.length >= BATCH_RECORDS ? 0 : BATCH_MS);
        return;
      }
      self.retryMs = Math.min(MAX_BACKOFF_MS, self.retryMs ? self.retryMs * 2 : 1000);
      var wait = self.retryMs * (0.5 + Math.random() / 2);
      self.timer = setTimeout(function () { self.timer = null; self.send(); }, wait);
    };
    root.fetch(this.url(batch), {
      method: "POST",
      body: body(batch.records),
      headers: { "Content-Type": "text/plain" },
      keepalive: true,
      credentials: "omit",
      mode: "cors",
    }).then(function (answer) {
      if (answer.ok || FINAL[answer.status]) {
        if (!answer.ok && root.console) {
          root.console.warn("vtrack: a batch was refused (" + answer.status + ")");
        }
        done(true);
      } else {
        done(false);
      }
    }, function () { done(false); });
  };

  // Everything leaves now, by beacon (it outlives the page): first the batch under way (or
  // waiting to be sent again), under its own id, then what is queued. Its fetch may still
  // fail; sent after the queued records, it would reach the server after them, and their
  // times would hold its records back. If the fetch lands too, the server drops the copy.
  Tracker.prototype.beacon = function () {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    var pending = this.inFlight;
    this.inFlight = null; // a fetch under way is left to itself: not sent again
    this.retryMs = 0;
    while (pending || this.queue.length) {
      var batch = pending || this.take();
      pending = null;
      var sent = false;
      var data = body(batch.records);
      if (root.navigator && typeof root.navigator.sendBeacon === "function") {
        sent = root.navigator.sendBeacon(this.url(batch), new Blob([data], { type: "text/plain" }));
      }
      if (!sent) {
        root.fetch(this.url(batch), {
          method: "POST", body: data, headers: { "Content-Type": "text/plain" },
          keepalive: true, credentials: "omit", mode: "cors",
        }).catch(function () {});
      }
    }
  };

  Tracker.prototype.flush = function () {
    this.schedule(0);
  };

  // Stop listening; the session ends as if the page went away.
  Tracker.prototype.detach = function () {
    this.leave();
    clearInterval(this.keepalive);
    this.handlers.forEach(function (h) { h[0].removeEventListener(h[1], h[2]); });
    this.handlers = [];
  };

  root.vtrack = {
    version: "1",
    attach: function (video, options) {
      var tracker = new Tracker(video, options);
      return {
        get session() { return tracker.session; },
        flush: function () { tracker.flush(); },
        detach: function () { tracker.detach(); },
      };
    },
  };
})(typeof window !== "undefined" ? window : this);
