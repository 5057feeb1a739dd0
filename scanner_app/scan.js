// Reading a QR code from the camera or a photo. BarcodeDetector where the browser has it
// (Android Chrome, recent Safari); otherwise the bundled jsQR (scanner_app/package.json),
// loaded on first use so it is not part of the page's first load.

// Next to this module, wherever the page is hosted (the platform or a static bundle).
const DECODER_URL = new URL("./vendor/jsQR.js", import.meta.url).href;
const MAX_SIDE = 1024; // larger frames only slow the JS decoder; labels fill the view anyway
let decoderPromise = null;

async function nativeDetector() {
  if (!("BarcodeDetector" in globalThis)) return null;
  try {
    const formats = await globalThis.BarcodeDetector.getSupportedFormats();
    if (!formats.includes("qr_code")) return null;
    return new globalThis.BarcodeDetector({ formats: ["qr_code"] });
  } catch {
    return null;
  }
}

/** Load jsQR once (a classic UMD script setting window.jsQR); rejects if it cannot load. */
export function loadJsDecoder() {
  if (globalThis.jsQR) return Promise.resolve(globalThis.jsQR);
  if (!decoderPromise) {
    decoderPromise = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = DECODER_URL;
      script.async = true;
      script.onload = () => (globalThis.jsQR ? resolve(globalThis.jsQR) : reject(new Error("decoder did not load")));
      script.onerror = () => {
        decoderPromise = null;
        reject(new Error("decoder did not load"));
      };
      document.head.append(script);
    });
  }
  return decoderPromise;
}

function drawToCanvas(source, width, height, canvas) {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

/** A decoder: decode(source, width, height) -> text or null. Picks BarcodeDetector or jsQR. */
export async function createDecoder() {
  const detector = await nativeDetector();
  if (detector) {
    return {
      kind: "BarcodeDetector",
      async decode(source) {
        const codes = await detector.detect(source);
        return codes.length ? codes[0].rawValue : null;
      },
    };
  }
  const jsQR = await loadJsDecoder();
  const canvas = document.createElement("canvas");
  return {
    kind: "jsQR",
    async decode(source, width, height) {
      const image = drawToCanvas(source, width, height, canvas);
      // Labels are dark on light; trying inverted too doubles the work for no gain.
      const code = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      return code ? code.data : null;
    },
  };
}

/** Decode a QR code from an image File; resolves to its text or null. */
export async function decodeImageFile(file) {
  const bitmap = await createImageBitmap(file);
  try {
    const decoder = await createDecoder();
    return await decoder.decode(bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

/**
 * Scan from the camera into `video` until a code is read or `stop()` is called.
 * Returns {stop, result: Promise<text | null>, kind}; rejects if there is no camera.
 */
export async function startCamera(video) {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 } },
    audio: false,
  });
  video.srcObject = stream;
  await video.play();
  let decoder;
  try {
    decoder = await createDecoder();
  } catch (error) {
    stream.getTracks().forEach((track) => track.stop());
    throw error;
  }
  let stopped = false;
  let finish;
  const result = new Promise((resolve) => {
    finish = resolve;
  });
  const stop = () => {
    if (stopped) return;
    stopped = true;
    stream.getTracks().forEach((track) => track.stop());
    video.srcObject = null;
    finish(null);
  };
  const tick = async () => {
    if (stopped) return;
    try {
      if (video.readyState >= 2 && video.videoWidth > 0) {
        const text = await decoder.decode(video, video.videoWidth, video.videoHeight);
        if (text && !stopped) {
          finish(text);
          stop();
          return;
        }
      }
    } catch {
      // a frame that cannot be read (e.g. while the camera starts) is skipped
    }
    setTimeout(tick, 120); // ~8 frames a second keeps a phone cool and still feels instant
  };
  tick();
  return { stop, result, kind: decoder.kind };
}
