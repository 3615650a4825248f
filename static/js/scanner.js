// Storekeeper scanner: camera decoding, hardware-scanner (keyboard wedge) input, and scan feedback.
//
// - Camera: native BarcodeDetector where the browser has one; otherwise the barcode-detector ponyfill (zxing-wasm)
//   in a module Web Worker, loaded only when the camera starts. The camera view lives in [data-scanner]
//   (templates/scanning/_scanner.html), included by every scan page.
// - Every decoded code goes through one pipeline (submitScan): text into the page's [data-scan-input], the
//   source/format/device-time hints into the form, then the form is submitted through htmx — one request at a time.
// - Feedback: a WebAudio beep and a vibration on the server's scan-succeeded / scan-failed HX-Trigger events.
// - Benchmark hook: each camera decode records a performance.measure named "storekeeper:frame-to-result" from the
//   moment the frame was grabbed to the moment the server's answer was swapped into the page.
(function () {
  "use strict";
  var SK = (window.Storekeeper = window.Storekeeper || {});
  var FORMATS = ["qr_code", "ean_13", "ean_8", "upc_a", "upc_e", "code_128", "code_39", "data_matrix"];
  var DUPLICATE_MS = 2500; // the same code seen again within this window counts once
  var CAMERA_KEY = "sk.camera";
  var CONTINUOUS_KEY = "sk.scan.continuous";
  var GS = "\x1d";

  function store(key, value) {
    try {
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, value);
    } catch (e) { /* private mode: no memory, no harm */ }
  }
  function recall(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }

  // ---------------------------------------------------------------- feedback: sound and vibration
  var audioCtx = null;
  function audio() {
    var AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    if (!audioCtx) {
      try { audioCtx = new AC(); } catch (e) { return null; }
    }
    if (audioCtx.state === "suspended") audioCtx.resume().catch(function () {});
    return audioCtx;
  }
  // Browsers only let audio start after a gesture: make the context on the first touch or key.
  function unlockAudio() {
    audio();
    document.removeEventListener("pointerdown", unlockAudio, true);
    document.removeEventListener("keydown", unlockAudio, true);
  }
  document.addEventListener("pointerdown", unlockAudio, true);
  document.addEventListener("keydown", unlockAudio, true);

  function tone(freq, start, length, type) {
    var c = audio();
    if (!c) return;
    var t = c.currentTime + start;
    var osc = c.createOscillator();
    var gain = c.createGain();
    osc.type = type;
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.3, t + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + length);
    osc.connect(gain);
    gain.connect(c.destination);
    osc.start(t);
    osc.stop(t + length + 0.02);
  }
  function feedback(kind) {
    if (kind === "ok") {
      tone(1760, 0, 0.09, "sine");
      if (navigator.vibrate) navigator.vibrate(60);
    } else if (kind === "queued") {
      tone(1320, 0, 0.07, "sine");
      tone(1320, 0.11, 0.07, "sine");
      if (navigator.vibrate) navigator.vibrate([40, 60, 40]);
    } else {
      tone(220, 0, 0.16, "square");
      tone(180, 0.2, 0.22, "square");
      if (navigator.vibrate) navigator.vibrate([150, 80, 150]);
    }
    var slot = document.querySelector("[data-scanner]");
    if (slot) {
      slot.setAttribute("data-last-feedback", kind);
      slot.classList.remove("flash-ok", "flash-error", "flash-queued");
      void slot.offsetWidth; // restart the animation
      slot.classList.add(kind === "ok" ? "flash-ok" : kind === "queued" ? "flash-queued" : "flash-error");
    }
    SK.lastFeedback = kind;
  }
  SK.feedback = feedback;
  document.addEventListener("scan-succeeded", function () { feedback("ok"); });
  document.addEventListener("scan-failed", function () { feedback("error"); });
  document.addEventListener("scan-queued", function () { feedback("queued"); });

  // ---------------------------------------------------------------- the submission pipeline
  var lastScanInput = null;
  document.addEventListener("focusin", function (ev) {
    if (ev.target && ev.target.matches && ev.target.matches("[data-scan-input]")) lastScanInput = ev.target;
  });
  function scanInput() {
    if (lastScanInput && document.contains(lastScanInput)) return lastScanInput;
    return document.querySelector("[data-scan-input]");
  }
  SK.scanInput = scanInput;

  function setField(form, selector, value) {
    var el = form.querySelector(selector);
    if (el) el.value = value;
  }
  // Hints for the server: where the scan came from, which symbology, the device's clock.
  function stamp(form, source, format) {
    form.setAttribute("data-stamped", "1");
    setField(form, "[data-scan-source]", source);
    setField(form, "[data-scan-format], input[name=format]", format || "");
    setField(form, "[data-device-time]", new Date().toISOString());
  }
  SK.stampScanForm = stamp;

  var pending = []; // scans waiting for the previous request to finish (htmx reads values when it sends)
  var busy = null; // {form, timer, started}
  function release() {
    if (busy) clearTimeout(busy.timer);
    busy = null;
    if (pending.length) setTimeout(pump, 0);
  }
  function pump() {
    if (busy || !pending.length) return;
    var scan = pending.shift();
    var input = scanInput();
    if (!input || !input.form) {
      SK.lastScan = scan;
      document.dispatchEvent(new CustomEvent("storekeeper:scan", { detail: scan }));
      return pump();
    }
    var form = input.form;
    input.value = scan.text;
    stamp(form, scan.source, scan.format);
    busy = { form: form, scan: scan, timer: setTimeout(release, 10000) };
    SK.lastScan = scan;
    submitLikeEnter(form);
  }
  // Submit as a hardware scanner's Enter does: through the form's default button (the first submit button), so its
  // name and value go along — on a check-out batch that is "Add to batch", not "Check out all". htmx learns the
  // button from the click.
  function submitLikeEnter(form) {
    var button = form.querySelector("button:not([type]), button[type=submit], input[type=submit]");
    if (button && !button.disabled) button.click();
    else if (form.requestSubmit) form.requestSubmit();
    else form.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
  }
  function submitScan(scan) {
    // scan = {text, format, source, frameTime?}
    var check = document.querySelector("[data-camera-check]");
    if (check && scan.source === "camera") {
      // The camera check page only shows what was read; nothing is sent.
      check.dispatchEvent(new CustomEvent("storekeeper:test-decode", { detail: scan }));
      feedback("ok");
      return;
    }
    pending.push(scan);
    pump();
  }
  SK.submitScan = submitScan;

  document.addEventListener("htmx:afterRequest", function (ev) {
    if (busy && ev.detail && ev.detail.elt === busy.form) {
      if (ev.detail.successful && busy.form.matches("form[data-scan-action]")) freshScanId(busy.form);
      pendingMeasure = busy.scan.frameTime ? busy.scan : null;
      release();
    }
  });
  // The offline queue took the form (or filled it in on the phone), or the request could not be sent: the next scan
  // may go.
  function releaseIfBusy() { if (busy) release(); }
  document.addEventListener("storekeeper:queued", releaseIfBusy);
  document.addEventListener("storekeeper:handled", releaseIfBusy); // filled in on the phone while offline (steps.js)
  document.addEventListener("htmx:sendAbort", releaseIfBusy);
  document.addEventListener("htmx:sendError", releaseIfBusy);

  var pendingMeasure = null;
  document.addEventListener("htmx:afterSettle", function () {
    if (!pendingMeasure) return;
    var scan = pendingMeasure;
    pendingMeasure = null;
    try {
      performance.measure("storekeeper:frame-to-result", {
        start: scan.frameTime,
        end: performance.now(),
        detail: { text: scan.text, format: scan.format, decodeMs: scan.decodeMs, decoder: scan.decoder },
      });
    } catch (e) { /* old browsers: no detail measures */ }
  });

  // A scan action form keeps its id after a swap only if the server did not send a new form; never reuse an id
  // the server has applied.
  function freshScanId(form) {
    var field = form.querySelector("[data-scan-id]");
    if (!field || !document.contains(form)) return;
    field.value = SK.newScanId();
  }
  SK.newScanId = function () {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  };

  // Every scan form is stamped when it is sent: the device time, and "typed" unless camera or wedge said otherwise.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.matches || !form.querySelector("[data-scan-input]")) return;
    if (form.getAttribute("data-stamped") !== "1") setField(form, "[data-scan-source]", "typed");
    form.removeAttribute("data-stamped");
    setField(form, "[data-device-time]", new Date().toISOString());
  }, true);

  // ---------------------------------------------------------------- hardware scanners (keyboard wedge)
  // A wedge types a whole code in a few milliseconds per key and ends it with Enter or Tab; people need 80 ms and
  // more per key. A burst is judged by its average gap (one late key event on a busy phone does not turn a scanner
  // into a person). A slow (Bluetooth) scanner can be allowed more with localStorage "sk.wedge.gap" and
  // "sk.wedge.pause" (ms).
  var WEDGE_AVG_GAP_MS = Number(recall("sk.wedge.gap")) || 40;
  // Silence this long ends a burst; typing on the page then goes to the scan field.
  var WEDGE_PAUSE_MS = Number(recall("sk.wedge.pause")) || 250;
  var WEDGE_MIN_LENGTH = 3;
  var wedge = { chars: "", times: [], human: false, timer: null };
  function resetWedge() {
    wedge.chars = "";
    wedge.times = [];
    wedge.human = false;
    clearTimeout(wedge.timer);
  }
  function looksLikeWedge(now) {
    var t = wedge.times, n = t.length;
    if (wedge.human || n < WEDGE_MIN_LENGTH) return false;
    return (t[n - 1] - t[0]) / (n - 1) <= WEDGE_AVG_GAP_MS && now - t[n - 1] <= WEDGE_PAUSE_MS;
  }
  // A pause in typing on the page: it is a person. Hand what they typed to the scan field and let them go on there.
  function handOver() {
    var input = scanInput();
    var chars = wedge.chars;
    if (!input || !chars) { resetWedge(); return; }
    input.focus();
    input.value = chars;
    input.selectionStart = input.selectionEnd = chars.length;
    wedge.human = true; // the field continues the same (slow) entry
  }
  function gsStandIn() {
    var custom = recall("sk.wedge.gs"); // a scanner configured to send another character for FNC1
    return custom || null;
  }
  function editable(el) {
    if (!el || el === document.body) return false;
    if (el.isContentEditable) return true;
    if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    if (el.tagName === "INPUT") {
      var t = (el.type || "text").toLowerCase();
      return ["button", "submit", "checkbox", "radio", "range", "reset", "file", "image", "color"].indexOf(t) < 0;
    }
    return false;
  }
  function insertAtCaret(input, text) {
    var start = input.selectionStart, end = input.selectionEnd;
    if (start === null || start === undefined) { input.value += text; return; }
    input.value = input.value.slice(0, start) + text + input.value.slice(end);
    input.selectionStart = input.selectionEnd = start + text.length;
  }
  document.addEventListener("keydown", function (ev) {
    if (!document.querySelector("[data-scan-input]")) return; // not a scan page
    var target = ev.target;
    var inScanField = target && target.matches && target.matches("[data-scan-input]");
    if (editable(target) && !inScanField) return; // someone is typing in another field: leave them be
    var now = performance.now();
    var last = wedge.times.length ? wedge.times[wedge.times.length - 1] : 0;
    if (wedge.chars && now - last > WEDGE_PAUSE_MS) resetWedge(); // a new burst
    var ch = null;
    if (ev.key === GS || (ev.ctrlKey && (ev.key === "]" || ev.code === "BracketRight"))) ch = GS;
    else if (ev.key && ev.key.length === 1 && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
      ch = ev.key === gsStandIn() ? GS : ev.key;
    }
    if (ch !== null) {
      // Space on a button or link is a press, not a scan (unless a burst is under way).
      if (!inScanField && ch === " " && !wedge.chars && target !== document.body) return;
      wedge.chars += ch;
      wedge.times.push(now);
      if (ch === GS && inScanField) { ev.preventDefault(); insertAtCaret(target, GS); }
      else if (!inScanField) {
        ev.preventDefault(); // typed on the page itself: we keep the characters
        clearTimeout(wedge.timer);
        wedge.timer = setTimeout(handOver, WEDGE_PAUSE_MS);
      }
      return;
    }
    if (ev.key !== "Enter" && ev.key !== "Tab") return;
    clearTimeout(wedge.timer);
    var isWedge = looksLikeWedge(now);
    var chars = wedge.chars;
    resetWedge();
    if (inScanField) {
      var form = target.form;
      if (!form) return;
      if (isWedge) {
        stamp(form, "wedge", "");
      } else if (ev.key === "Enter") {
        stamp(form, "typed", "");
      }
      if (ev.key === "Tab" && isWedge) {
        ev.preventDefault();
        submitScan({ text: target.value, format: "", source: "wedge" });
      }
      return; // Enter submits the form as usual, with the hints set
    }
    if (!chars) return;
    ev.preventDefault();
    if (isWedge) {
      submitScan({ text: chars, format: "", source: "wedge" });
    } else {
      // Slow typing somewhere on the page: put it in the scan field so the person can check and send it.
      var input = scanInput();
      if (input) { input.value = chars; input.focus(); }
    }
  }, true);

  // ---------------------------------------------------------------- camera
  var cam = null; // the running scanner: {root, stream, track, decoder, ...}
  var decoderInfo = { kind: null }; // "native" or "wasm" once known

  function qs(root, sel) { return root.querySelector(sel); }
  function status(root, text) {
    var el = qs(root, "[data-scanner-status]");
    if (el) el.textContent = text;
  }

  // The decoder: native BarcodeDetector on the main thread (the browser runs it off-thread), or the wasm ponyfill in
  // a module worker. Made once per page and kept while the page lives.
  var decoderPromise = null;
  function getDecoder(root) {
    if (decoderPromise) return decoderPromise;
    decoderPromise = nativeDecoder().then(function (d) { return d || workerDecoder(root); });
    decoderPromise.catch(function () { decoderPromise = null; });
    return decoderPromise;
  }
  function nativeDecoder() {
    if (!("BarcodeDetector" in window) || recall("sk.decoder") === "wasm") return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats().then(function (supported) {
      var formats = FORMATS.filter(function (f) { return supported.indexOf(f) >= 0; });
      if (formats.length < 4) return null; // a detector that reads only QR is no good for a stockroom
      var detector = new window.BarcodeDetector({ formats: formats });
      decoderInfo = { kind: "native", formats: formats };
      return {
        kind: "native",
        detect: function (video) {
          return detector.detect(video).then(function (codes) {
            return codes.map(function (c) { return { rawValue: c.rawValue, format: c.format }; });
          });
        },
        close: function () {},
      };
    }).catch(function () { return null; });
  }
  function workerDecoder(root) {
    var abs = function (u) { return new URL(u, location.href).href; };
    return new Promise(function (resolve, reject) {
      var worker;
      try {
        worker = new Worker(abs(asset(root, "worker")), { type: "module", name: "storekeeper-decoder" });
      } catch (e) { reject(e); return; }
      var waiting = {};
      var seq = 0;
      var canvas = document.createElement("canvas");
      var ctx2d = canvas.getContext("2d", { willReadFrequently: true });
      worker.onmessage = function (ev) {
        var m = ev.data;
        if (m.type === "ready") {
          decoderInfo = { kind: "wasm", formats: FORMATS };
          resolve({
            kind: "wasm",
            detect: function (video) {
              var w = video.videoWidth, h = video.videoHeight;
              if (!w || !h) return Promise.resolve([]);
              var scale = Math.min(1, 1280 / Math.max(w, h));
              canvas.width = Math.round(w * scale);
              canvas.height = Math.round(h * scale);
              ctx2d.drawImage(video, 0, 0, canvas.width, canvas.height);
              var image = ctx2d.getImageData(0, 0, canvas.width, canvas.height);
              var id = ++seq;
              return new Promise(function (res) {
                waiting[id] = res;
                worker.postMessage({ type: "frame", id: id, image: image }, [image.data.buffer]);
              });
            },
            close: function () { worker.terminate(); },
          });
        } else if (m.type === "error") {
          worker.terminate();
          reject(new Error(m.message));
        } else if (m.type === "result") {
          var res = waiting[m.id];
          delete waiting[m.id];
          if (res) res(m.codes || []);
        }
      };
      worker.onerror = function (ev) { reject(new Error(ev.message || "decoder worker failed")); };
      worker.postMessage({
        type: "init",
        ponyfillUrl: abs(asset(root, "ponyfill")),
        wasmUrl: abs(asset(root, "wasm")),
        formats: FORMATS,
      });
    });
  }
  SK.decoderInfo = function () { return decoderInfo; };

  function constraintsFor(deviceId) {
    var video = { width: { ideal: 1280 }, height: { ideal: 720 } };
    if (deviceId) video.deviceId = { exact: deviceId };
    else video.facingMode = { ideal: "environment" }; // the rear camera unless the person chose another
    return { audio: false, video: video };
  }

  function openStream(deviceId) {
    return navigator.mediaDevices.getUserMedia(constraintsFor(deviceId)).catch(function (err) {
      if (deviceId && (err.name === "OverconstrainedError" || err.name === "NotFoundError")) {
        store(CAMERA_KEY, null); // the remembered camera is gone: fall back to the rear one
        return navigator.mediaDevices.getUserMedia(constraintsFor(null));
      }
      throw err;
    });
  }

  function explain(err) {
    if (!window.isSecureContext) return "The camera needs a secure (https) connection.";
    if (!err) return "The camera could not start.";
    if (err.name === "NotAllowedError") return "Camera permission was refused. Allow it in the browser settings.";
    if (err.name === "NotFoundError" || err.name === "OverconstrainedError") return "No camera found.";
    if (err.name === "NotReadableError") return "The camera is busy in another app.";
    return "The camera could not start (" + (err.message || err.name) + ").";
  }

  function fillCameras(root, track) {
    var select = qs(root, "[data-scanner-camera]");
    if (!select || !navigator.mediaDevices.enumerateDevices) return Promise.resolve([]);
    return navigator.mediaDevices.enumerateDevices().then(function (devices) {
      var cams = devices.filter(function (d) { return d.kind === "videoinput"; });
      var current = track.getSettings ? track.getSettings().deviceId : null;
      select.textContent = "";
      cams.forEach(function (d, i) {
        var opt = document.createElement("option");
        opt.value = d.deviceId;
        opt.textContent = d.label || "Camera " + (i + 1);
        if (d.deviceId === current) opt.selected = true;
        select.appendChild(opt);
      });
      var wrap = select.closest("label") || select;
      wrap.hidden = cams.length < 2;
      return cams;
    });
  }

  function setupTrackTools(root, track) {
    var caps = track.getCapabilities ? track.getCapabilities() : {};
    var torch = qs(root, "[data-scanner-torch]");
    if (torch) {
      torch.hidden = !caps.torch;
      torch.setAttribute("aria-pressed", "false");
    }
    var zoomWrap = qs(root, "[data-scanner-zoom-wrap]");
    var zoom = qs(root, "[data-scanner-zoom]");
    if (zoomWrap && zoom) {
      var z = caps.zoom;
      zoomWrap.hidden = !(z && z.max > z.min);
      if (z && z.max > z.min) {
        zoom.min = z.min;
        zoom.max = z.max;
        zoom.step = z.step || 0.1;
        var s = track.getSettings ? track.getSettings() : {};
        zoom.value = s.zoom || z.min;
      }
    }
  }

  function acquireWakeLock() {
    if (!cam || !("wakeLock" in navigator) || document.visibilityState !== "visible") return;
    navigator.wakeLock.request("screen").then(function (lock) {
      if (cam) cam.wakeLock = lock; else lock.release();
    }).catch(function () { /* low battery or not allowed: scanning still works */ });
  }

  function start(root) {
    if (cam) stop();
    var video = qs(root, "[data-scanner-video]");
    var view = qs(root, "[data-scanner-view]");
    var toggle = qs(root, "[data-scanner-toggle]");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status(root, explain(null));
      root.setAttribute("data-scanner-state", "error");
      return Promise.resolve();
    }
    var session = { root: root, video: video, stream: null, track: null, decoder: null, recent: {}, running: true };
    cam = session;
    quietKeyboard(true);
    root.setAttribute("data-scanner-state", "starting");
    view.hidden = false;
    toggle.textContent = "Stop camera";
    toggle.setAttribute("aria-pressed", "true");
    status(root, "Starting the camera…");
    var decoding = getDecoder(root); // in parallel with the camera permission prompt
    return openStream(recall(CAMERA_KEY)).then(function (stream) {
      if (cam !== session) { stream.getTracks().forEach(function (t) { t.stop(); }); return; }
      session.stream = stream;
      session.track = stream.getVideoTracks()[0];
      video.srcObject = stream;
      video.setAttribute("playsinline", "");
      video.muted = true;
      var playing = video.play().catch(function () {});
      setupTrackTools(root, session.track);
      fillCameras(root, session.track);
      var tools = qs(root, "[data-scanner-tools]");
      if (tools) tools.hidden = false;
      acquireWakeLock();
      status(root, "Loading the decoder…");
      return Promise.all([decoding, playing]).then(function (res) {
        if (cam !== session) return;
        session.decoder = res[0];
        root.setAttribute("data-decoder", session.decoder.kind);
        root.setAttribute("data-scanner-state", "scanning");
        status(root, "Point the camera at a code.");
        loop(session);
      });
    }).catch(function (err) {
      if (cam === session) stop();
      root.setAttribute("data-scanner-state", "error");
      status(root, err && err.name ? explain(err) : "The decoder could not load: " + (err && err.message));
    });
  }

  // While the camera runs, focusing the scan field (after every swap) must not pop up the on-screen keyboard over
  // the camera view; a hardware scanner still types into it.
  function quietKeyboard(on) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-scan-input]"), function (input) {
      if (on) {
        if (!input.hasAttribute("data-inputmode")) input.setAttribute("data-inputmode", input.getAttribute("inputmode") || "");
        input.setAttribute("inputmode", "none");
      } else if (input.hasAttribute("data-inputmode")) {
        var was = input.getAttribute("data-inputmode");
        if (was) input.setAttribute("inputmode", was); else input.removeAttribute("inputmode");
        input.removeAttribute("data-inputmode");
      }
    });
  }

  function stop(keepResume) {
    var session = cam;
    if (!session) return;
    cam = null;
    session.running = false;
    quietKeyboard(false);
    if (session.stream) session.stream.getTracks().forEach(function (t) { t.stop(); });
    if (session.wakeLock) session.wakeLock.release().catch(function () {});
    var root = session.root;
    if (!keepResume) root.removeAttribute("data-resume");
    session.video.srcObject = null;
    var view = qs(root, "[data-scanner-view]");
    if (view) view.hidden = true;
    var tools = qs(root, "[data-scanner-tools]");
    if (tools) tools.hidden = true;
    var toggle = qs(root, "[data-scanner-toggle]");
    if (toggle) {
      toggle.textContent = "Start camera";
      toggle.setAttribute("aria-pressed", "false");
    }
    root.setAttribute("data-scanner-state", keepResume ? "paused" : "stopped");
  }
  SK.stopCamera = function () { stop(); };

  function loop(session) {
    var video = session.video;
    var minInterval = 80; // ~12 decodes a second is plenty and spares the battery
    function tick() {
      if (!session.running || cam !== session) return;
      if (video.readyState < 2 || busy) { setTimeout(tick, minInterval); return; }
      var frameTime = performance.now();
      session.decoder.detect(video).then(function (codes) {
        if (!session.running || cam !== session) return;
        var took = performance.now() - frameTime;
        var picked = null;
        for (var i = 0; i < codes.length && !picked; i++) {
          var c = codes[i];
          if (!c.rawValue) continue;
          var seen = session.recent[c.rawValue];
          if (seen && frameTime - seen < DUPLICATE_MS) { session.recent[c.rawValue] = frameTime; continue; }
          session.recent[c.rawValue] = frameTime;
          picked = c;
        }
        // Forget the codes that left the picture, so the same code can be scanned again after the window.
        if (picked) onDecode(session, picked, frameTime, took);
        var wait = Math.max(0, minInterval - took);
        setTimeout(tick, wait);
      }, function () { setTimeout(tick, minInterval * 4); });
    }
    tick();
  }

  function onDecode(session, code, frameTime, took) {
    var root = session.root;
    var continuous = qs(root, "[data-scanner-continuous]");
    root.setAttribute("data-last-code", code.rawValue);
    status(root, "Read " + code.format.replace("_", "-").toUpperCase() + ": " + code.rawValue.replace(/\x1d/g, "<GS>"));
    submitScan({
      text: code.rawValue, format: code.format, source: "camera", frameTime: frameTime, decodeMs: took,
      decoder: session.decoder.kind,
    });
    if (!(continuous && continuous.checked)) stop();
  }

  // Pause when the page is hidden (the camera is released for other apps), resume when it is back.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && cam) {
      var root = cam.root;
      stop(true);
      root.setAttribute("data-resume", "1");
    } else if (document.visibilityState === "visible") {
      var paused = document.querySelector("[data-scanner][data-resume]");
      if (paused) { paused.removeAttribute("data-resume"); start(paused); }
    }
  });

  function bind(root) {
    if (root.getAttribute("data-scanner-bound")) return;
    root.setAttribute("data-scanner-bound", "1");
    var toggle = qs(root, "[data-scanner-toggle]");
    toggle.addEventListener("click", function () {
      unlockAudio();
      if (cam && cam.root === root) stop();
      else start(root);
    });
    var continuous = qs(root, "[data-scanner-continuous]");
    if (continuous) {
      continuous.checked = recall(CONTINUOUS_KEY) === "1" || root.hasAttribute("data-continuous");
      continuous.addEventListener("change", function () { store(CONTINUOUS_KEY, continuous.checked ? "1" : "0"); });
    }
    var select = qs(root, "[data-scanner-camera]");
    if (select) {
      select.addEventListener("change", function () {
        store(CAMERA_KEY, select.value);
        if (cam && cam.root === root) start(root);
      });
    }
    var torch = qs(root, "[data-scanner-torch]");
    if (torch) {
      torch.addEventListener("click", function () {
        if (!cam || !cam.track) return;
        var on = torch.getAttribute("aria-pressed") !== "true";
        cam.track.applyConstraints({ advanced: [{ torch: on }] }).then(function () {
          torch.setAttribute("aria-pressed", on ? "true" : "false");
        }).catch(function () { torch.hidden = true; });
      });
    }
    var zoom = qs(root, "[data-scanner-zoom]");
    if (zoom) {
      zoom.addEventListener("input", function () {
        if (cam && cam.track) cam.track.applyConstraints({ advanced: [{ zoom: Number(zoom.value) }] }).catch(function () {});
      });
    }
    if (root.hasAttribute("data-autostart") && recall("sk.camera.autostart") !== "0") start(root);
  }
  // Scan pages either include templates/scanning/_scanner.html or leave an empty [data-scanner-slot]; an empty
  // slot gets the same controls from here.
  var SCANNER_HTML =
    '<div class="scanner-controls">' +
    '<button type="button" class="btn scanner-toggle" data-scanner-toggle aria-pressed="false">Start camera</button>' +
    '<label class="scanner-opt"><input type="checkbox" data-scanner-continuous> Keep scanning</label></div>' +
    '<div class="scanner-view" data-scanner-view hidden>' +
    '<video class="scanner-video" data-scanner-video muted playsinline autoplay></video>' +
    '<div class="scanner-guide" aria-hidden="true"><span></span></div></div>' +
    '<p class="scanner-status muted" data-scanner-status role="status" aria-live="polite"></p>' +
    '<div class="scanner-tools" data-scanner-tools hidden>' +
    '<label class="scanner-camera" hidden>Camera <select data-scanner-camera></select></label>' +
    '<button type="button" class="btn btn-secondary" data-scanner-torch hidden aria-pressed="false">Torch</button>' +
    '<label class="scanner-zoom" data-scanner-zoom-wrap hidden>Zoom <input type="range" data-scanner-zoom></label></div>';
  var scriptEl = document.currentScript;
  function asset(root, name) {
    return root.getAttribute("data-" + name + "-url") || (scriptEl && scriptEl.getAttribute("data-" + name + "-url"));
  }
  function fill(slot) {
    if (slot.matches("[data-scanner]") || slot.querySelector("[data-scanner]")) return;
    var root = document.createElement("div");
    root.className = "scanner";
    root.setAttribute("data-scanner", "");
    root.setAttribute("data-scanner-state", "stopped");
    root.innerHTML = SCANNER_HTML;
    slot.appendChild(root);
  }
  // A swap that replaced the part of the page holding the running camera (a scan form re-rendered after each
  // scan) must not stop it: the running scanner moves into the new slot and keeps going.
  function rehome() {
    if (!cam || document.contains(cam.root)) return;
    var slot = document.querySelector("[data-scanner-slot]");
    if (!slot) { stop(); return; } // no camera on this page any more: the light goes off
    var fresh = slot.matches("[data-scanner]") ? slot : slot.querySelector("[data-scanner]");
    if (fresh) fresh.replaceWith(cam.root);
    else { slot.textContent = ""; slot.appendChild(cam.root); }
    if (cam.video.paused) cam.video.play().catch(function () {});
  }
  function bindAll() {
    rehome();
    if (cam) quietKeyboard(true);
    Array.prototype.forEach.call(document.querySelectorAll("[data-scanner-slot]"), fill);
    Array.prototype.forEach.call(document.querySelectorAll("[data-scanner]"), bind);
  }
  document.addEventListener("DOMContentLoaded", bindAll);
  document.addEventListener("htmx:load", bindAll);
  if (document.readyState !== "loading") bindAll();

  // ---------------------------------------------------------------- the camera check page
  function checkPage() {
    var box = document.querySelector("[data-camera-check]");
    if (!box || box.getAttribute("data-check-bound")) return;
    box.setAttribute("data-check-bound", "1");
    function show(name, text, ok) {
      var el = box.querySelector('[data-check="' + name + '"]');
      if (!el) return;
      el.textContent = text;
      el.className = ok === true ? "check-ok" : ok === false ? "check-bad" : "";
    }
    show("secure", window.isSecureContext ? "Yes" : "No — open the app over https", window.isSecureContext);
    function permission() {
      if (!navigator.permissions || !navigator.permissions.query) { show("permission", "Unknown (asked when the camera starts)"); return; }
      navigator.permissions.query({ name: "camera" }).then(function (p) {
        var words = { granted: "Allowed", denied: "Refused — allow the camera in the browser's site settings", prompt: "Not asked yet" };
        show("permission", words[p.state] || p.state, p.state === "granted" ? true : p.state === "denied" ? false : null);
        p.onchange = permission;
      }).catch(function () { show("permission", "Unknown (asked when the camera starts)"); });
    }
    permission();
    function cameras() {
      if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) { show("cameras", "None (no camera access in this browser)", false); return; }
      navigator.mediaDevices.enumerateDevices().then(function (devices) {
        var cams = devices.filter(function (d) { return d.kind === "videoinput"; });
        var names = cams.map(function (d, i) { return d.label || "Camera " + (i + 1); }).join(", ");
        show("cameras", cams.length ? cams.length + (names ? " (" + names + ")" : "") : "None", cams.length > 0);
      });
    }
    cameras();
    var root = document.querySelector("[data-scanner]");
    if (root) {
      new MutationObserver(function () {
        var kind = root.getAttribute("data-decoder");
        if (kind) show("decoder", kind === "native" ? "native (the browser's BarcodeDetector)" : "wasm (zxing-wasm in a worker)", true);
        if (root.getAttribute("data-scanner-state") === "scanning") { permission(); cameras(); }
        if (root.getAttribute("data-scanner-state") === "error") show("decoder", (root.querySelector("[data-scanner-status]") || {}).textContent || "error", false);
      }).observe(root, { attributes: true });
    }
    box.addEventListener("storekeeper:test-decode", function (ev) {
      var d = ev.detail;
      show("decoded", d.format + ": " + d.text.replace(/\x1d/g, "<GS>") + (d.decodeMs ? " (" + Math.round(d.decodeMs) + " ms)" : ""), true);
      box.setAttribute("data-decoded", d.text);
    });
  }
  document.addEventListener("DOMContentLoaded", checkPage);
  document.addEventListener("htmx:load", checkPage);
  if (document.readyState !== "loading") checkPage();

  SK.scanner = { start: function (root) { return start(root || document.querySelector("[data-scanner]")); }, stop: stop };
})();
