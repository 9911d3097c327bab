#!/usr/bin/env node
// Runs an ONNX model with onnxruntime-node (the peer kiln is compared with) on .npy inputs and writes
// each output as OUTPUT_NAME.npy; with --bench N, times N runs after a warmup and prints the median.
//
//   node scripts/ort_run.js MODEL.onnx --threads T --input NAME=FILE.npy ... [--output-dir DIR]
//                          [--bench N] [--warmup W] [--times] [--opt-level L] [--info]
//
// onnxruntime-node is loaded from ${KILN_CACHE:-<repo>/.cache}/node (installed by scripts/fetch_npm).
// Output files are named after the output with every character outside [A-Za-z0-9._-] replaced by '_'
// (BlazeFace's outputs are called e.g. "regressors:0"), so the name is a safe file name everywhere.
'use strict';

const fs = require('fs');
const path = require('path');

const usage =
    `usage: node scripts/ort_run.js MODEL.onnx --threads T --input NAME=FILE.npy ... [--output-dir DIR]
                        [--bench N] [--warmup W] [--times] [--opt-level L] [--info]
  --threads T       intra-op threads (ORT's default would be the core count; set it explicitly)
  --input NAME=FILE a model input as .npy (float32, float64, int64, int32, int8, uint8, bool; C order)
  --output-dir DIR  write each output as DIR/<name>.npy
  --bench N         time N runs after W warmup runs and print the median (and min, mean, max)
  --warmup W        warmup runs before timing (default 3)
  --opt-level L     ORT graph optimizations: all (default), extended, basic or disabled; 'disabled' gives
                    a second FP32 implementation with other summation orders (tests/models/run_models.sh)
  --times           with --bench: also print each run's milliseconds on a line of its own
  --info            print the model's inputs and outputs (name, type, shape) and exit
  --profile PREFIX  write ORT's per-node profile (Chrome trace JSON) to PREFIX_<date>.json`;

function fail(msg) {
  process.stderr.write(`ort_run: ${msg}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------------
// .npy (format versions 1.0-3.0): little-endian, C order, the element types below only.
// ---------------------------------------------------------------------------------------------------
const NPY_TYPES = [
  // descr (without byte-order char), ORT type, typed array
  {descr: 'f4', ort: 'float32', Array: Float32Array},
  {descr: 'f8', ort: 'float64', Array: Float64Array},
  {descr: 'i8', ort: 'int64', Array: BigInt64Array},
  {descr: 'i4', ort: 'int32', Array: Int32Array},
  {descr: 'i1', ort: 'int8', Array: Int8Array},
  {descr: 'u1', ort: 'uint8', Array: Uint8Array},
  {descr: 'b1', ort: 'bool', Array: Uint8Array},
];
const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);  // "\x93NUMPY"

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(NPY_MAGIC)) fail(`${file}: not a .npy file`);
  const major = buf[6];
  let headerLen, headerStart;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    headerLen = buf.readUInt32LE(8);
    headerStart = 12;
  } else {
    fail(`${file}: unsupported .npy version ${major}`);
  }
  const header = buf.toString('latin1', headerStart, headerStart + headerLen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeMatch = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeMatch) fail(`${file}: malformed .npy header ${JSON.stringify(header)}`);
  if (fortran[1] === 'True') fail(`${file}: Fortran order is not supported; save with np.ascontiguousarray`);
  const order = descr[1][0];
  if (order === '>') fail(`${file}: big-endian data is not supported`);
  const code = '<|='.includes(order) ? descr[1].slice(1) : descr[1];
  const type = NPY_TYPES.find((t) => t.descr === code);
  if (!type) fail(`${file}: element type '${descr[1]}' is not supported (${NPY_TYPES.map((t) => t.descr)})`);
  const shape = shapeMatch[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`${file}: bad shape (${shapeMatch[1]})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  const nbytes = count * type.Array.BYTES_PER_ELEMENT;
  if (buf.length - dataStart < nbytes)
    fail(`${file}: truncated (${buf.length - dataStart} of ${nbytes} data bytes)`);
  // Copy so that the typed array is aligned whatever the header length.
  const data =
      new type.Array(buf.buffer.slice(buf.byteOffset + dataStart, buf.byteOffset + dataStart + nbytes));
  return {type, shape, data};
}

function writeNpy(file, ortType, shape, data) {
  const type = NPY_TYPES.find((t) => t.ort === ortType);
  if (!type) fail(`output type '${ortType}' cannot be written as .npy by this script`);
  const descr = (type.descr.endsWith('1') ? '|' : '<') + type.descr;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Pad with spaces so that magic + version + length + header + '\n' is a multiple of 64 (format 1.0).
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header + ' '.repeat(total - 10 - header.length - 1) + '\n';
  const prefix = Buffer.alloc(10);
  NPY_MAGIC.copy(prefix, 0);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(file, Buffer.concat([prefix, Buffer.from(header, 'latin1'), body]));
}

// ---------------------------------------------------------------------------------------------------
function parseArgs(argv) {
  const args = {
    model: null,
    threads: null,
    inputs: [],
    outputDir: null,
    bench: 0,
    warmup: 3,
    optLevel: 'all',
    info: false
  };
  const positiveInt = (flag, v, min) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) fail(`${flag} needs an integer >= ${min}, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${a} needs a value\n${usage}`);
      return argv[++i];
    };
    switch (a) {
      case '--threads':
        args.threads = positiveInt(a, value(), 1);
        break;
      case '--input': {
        const v = value();
        const eq = v.lastIndexOf('=');
        if (eq <= 0) fail(`--input wants NAME=FILE.npy, got '${v}'`);
        args.inputs.push({name: v.slice(0, eq), file: v.slice(eq + 1)});
        break;
      }
      case '--output-dir':
        args.outputDir = value();
        break;
      case '--bench':
        args.bench = positiveInt(a, value(), 1);
        break;
      case '--warmup':
        args.warmup = positiveInt(a, value(), 0);
        break;
      case '--opt-level':
        args.optLevel = value();
        if (!['all', 'extended', 'basic', 'disabled'].includes(args.optLevel)) {
          fail(`--opt-level wants all, extended, basic or disabled, got '${args.optLevel}'`);
        }
        break;
      case '--times':
        args.times = true;
        break;
      case '--info':
        args.info = true;
        break;
      case '--profile':
        args.profile = value();
        break;
      case '-h':
      case '--help':
        console.log(usage);
        process.exit(0);
      default:
        if (a.startsWith('-')) fail(`unknown option '${a}'\n${usage}`);
        if (args.model !== null) fail(`unexpected argument '${a}'\n${usage}`);
        args.model = a;
    }
  }
  if (args.model === null) fail(`no model given\n${usage}`);
  if (args.threads === null && !args.info) fail('--threads is required (ORT would otherwise use every core)');
  return args;
}

function loadOrt() {
  const repo = path.resolve(__dirname, '..');
  const cache = process.env.KILN_CACHE ? path.resolve(process.env.KILN_CACHE) : path.join(repo, '.cache');
  const dir = path.join(cache, 'node', 'node_modules', 'onnxruntime-node');
  if (!fs.existsSync(dir)) fail(`onnxruntime-node is not in ${dir}; run scripts/fetch_npm`);
  return require(dir);
}

function safeName(name) { return name.replace(/[^A-Za-z0-9._-]/g, '_'); }

function describe(meta) {
  if (!meta.isTensor) return `${meta.name}: (not a tensor)`;
  return `${meta.name}: ${meta.type} [${meta.shape.join(', ')}]`;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const ort = loadOrt();
  const options = {
    graphOptimizationLevel: args.optLevel,
    executionMode: 'sequential',
    intraOpNumThreads: args.threads || 1,
    interOpNumThreads: 1,
    executionProviders: ['cpu'],
    logSeverityLevel: 3,  // errors only: ORT warns about unused initializers in the PP-OCR models
  };
  if (args.profile) {
    options.enableProfiling = true;
    options.profileFilePrefix = args.profile;
  }
  const t0 = nowMs();
  const session = await ort.InferenceSession.create(args.model, options);
  const loadMs = nowMs() - t0;

  if (args.info) {
    for (const m of session.inputMetadata) console.log(`input  ${describe(m)}`);
    for (const m of session.outputMetadata) console.log(`output ${describe(m)}`);
    return;
  }

  const feeds = {};
  for (const {name, file} of args.inputs) {
    if (!session.inputNames.includes(name)) {
      fail(`the model has no input '${name}'; its inputs are ${JSON.stringify(session.inputNames)}`);
    }
    const {type, shape, data} = readNpy(file);
    feeds[name] = new ort.Tensor(type.ort, data, shape);
  }
  const missing = session.inputNames.filter((n) => !(n in feeds));
  if (missing.length) fail(`no --input for ${JSON.stringify(missing)}`);

  const t1 = nowMs();
  const results = await session.run(feeds);
  const firstMs = nowMs() - t1;
  const name = path.basename(args.model);
  console.log(
      `ort_run: ${name}: load ${loadMs.toFixed(1)} ms, first run ${firstMs.toFixed(2)} ms, ` +
      `${args.threads} thread(s)`);

  if (args.outputDir) {
    fs.mkdirSync(args.outputDir, {recursive: true});
    for (const name of session.outputNames) {
      const t = results[name];
      const file = path.join(args.outputDir, `${safeName(name)}.npy`);
      writeNpy(file, t.type, t.dims, t.data);
      console.log(`ort_run: output ${name}: ${t.type} [${t.dims.join(', ')}] -> ${file}`);
    }
  }

  if (args.bench > 0) {
    for (let i = 0; i < args.warmup; i++) await session.run(feeds);
    const times = [];
    for (let i = 0; i < args.bench; i++) {
      const s = nowMs();
      await session.run(feeds);
      times.push(nowMs() - s);
    }
    if (args.times) for (const t of times) console.log(t.toFixed(4));
    times.sort((a, b) => a - b);
    const mid = times.length >> 1;
    const median = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    // One line, fixed keys, so scripts can pick the median out (run_models.sh does).
    console.log(
        `ort_run: bench runs=${args.bench} warmup=${args.warmup} threads=${args.threads} ` +
        `median_ms=${median.toFixed(3)} min_ms=${times[0].toFixed(3)} mean_ms=${mean.toFixed(3)} ` +
        `max_ms=${times[times.length - 1].toFixed(3)}`);
  }
  if (args.profile) session.endProfiling();
}

if (require.main === module) {
  main().catch((e) => fail(e && e.message ? e.message : String(e)));
} else {
  module.exports = {readNpy, writeNpy, NPY_TYPES};  // for tests/models/npy_roundtrip.py
}
