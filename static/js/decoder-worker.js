// Storekeeper decoder worker (module worker): reads barcodes from camera frames off the main thread.
//
// Loaded only when the camera starts and the browser has no native BarcodeDetector. It imports the
// barcode-detector ponyfill (zxing-wasm) from our own static files and points zxing at our copy of the .wasm —
// never a CDN. Messages: {type: "init", ponyfillUrl, wasmUrl, formats} → {type: "ready"} | {type: "error"};
// {type: "frame", id, image: ImageData} → {type: "result", id, codes: [{rawValue, format}], ms}.
let detector = null;
let ready = null;

async function init(msg) {
  const mod = await import(msg.ponyfillUrl);
  await mod.prepareZXingModule({
    overrides: {
      locateFile: (path, prefix) => (path.endsWith(".wasm") ? msg.wasmUrl : prefix + path),
    },
    fireImmediately: true,
  });
  detector = new mod.BarcodeDetector({ formats: msg.formats });
  // Warm up: the first detect instantiates the reader; do it before the first camera frame is waiting.
  await detector.detect(new ImageData(64, 64));
}

self.onmessage = async (ev) => {
  const msg = ev.data;
  if (msg.type === "init") {
    ready = init(msg);
    try {
      await ready;
      self.postMessage({ type: "ready" });
    } catch (err) {
      self.postMessage({ type: "error", message: String((err && err.message) || err) });
    }
    return;
  }
  if (msg.type === "frame") {
    const t0 = performance.now();
    try {
      await ready;
      const found = await detector.detect(msg.image);
      const codes = found.map((c) => ({ rawValue: c.rawValue, format: c.format }));
      self.postMessage({ type: "result", id: msg.id, codes, ms: performance.now() - t0 });
    } catch (err) {
      self.postMessage({ type: "result", id: msg.id, codes: [], error: String(err), ms: performance.now() - t0 });
    }
  }
};
