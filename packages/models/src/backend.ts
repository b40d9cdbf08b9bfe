import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

export type TfBackend = "wasm" | "cpu" | "tensorflow";

let ready: Promise<TfBackend> | null = null;

/**
 * Directory of the installed @tensorflow/tfjs-backend-wasm build. Its .wasm files ship in the
 * package; under Node the emscripten loader reads them with fs from a plain path prefix, so no
 * network or bundler is involved.
 */
export function wasmDirectory(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm")) + path.sep;
}

async function tryNativeBackend(): Promise<boolean> {
  // The native binding registers a "tensorflow" backend when it is installed; it is optional
  // (it cannot be installed offline), so it is looked up at run time and never required.
  const name = ["@tensorflow", "tfjs-node"].join("/");
  try {
    await import(/* webpackIgnore: true */ name);
    return tf.findBackend("tensorflow") !== undefined && (await tf.setBackend("tensorflow"));
  } catch {
    return false;
  }
}

/**
 * Picks the TensorFlow.js backend once per process: the native binding when it is installed,
 * else WebAssembly (about 5x faster than plain JS here), else the JS cpu backend. `prefer` forces
 * one (tests pin "wasm" for reproducible numbers).
 */
export function initBackend(prefer?: TfBackend): Promise<TfBackend> {
  ready ??= (async (): Promise<TfBackend> => {
    if ((prefer === undefined || prefer === "tensorflow") && (await tryNativeBackend())) return "tensorflow";
    if (prefer !== "cpu") {
      try {
        setWasmPaths(wasmDirectory());
        if (await tf.setBackend("wasm")) {
          await tf.ready();
          return "wasm";
        }
      } catch {
        // Falls through to the JS backend: slower, same results.
      }
    }
    await tf.setBackend("cpu");
    await tf.ready();
    return "cpu";
  })();
  return ready;
}

export { tf };
